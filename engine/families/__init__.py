"""Model families beyond classic BKT: item difficulty, student ability, and the choice among them.

See `engine.families.spec` for the families and their rules.
"""
