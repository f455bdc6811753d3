"""BKT math: parameters, inference, fitting, evaluation and recommendation. No I/O here
except in `engine.io`, which turns files and DataFrames into `Responses`."""
