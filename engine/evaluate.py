"""Score a fitted model on responses: overall and per-skill metrics.

Predictions come from `engine.predict.predict` (P(correct) before each
response, NaN for skills the parameters do not cover). Unscored responses are
left out of the metrics and counted in `Metrics.dropped`, never guessed at.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from engine.metrics import Metrics, compute_by_group, compute_scored
from engine.params import ModelParams
from engine.predict import predict
from engine.responses import Responses


class Predictor(Protocol):
    """A fitted model of another family (engine.families): it predicts for itself."""

    def predict(self, responses: Responses) -> NDArray[np.float64]: ...


Model = ModelParams | Predictor


def predictions(params: Model, responses: Responses) -> NDArray[np.float64]:
    """P(correct) before each response from BKT parameters or a model of any family."""
    raw = (
        predict(params, responses) if isinstance(params, ModelParams) else params.predict(responses)
    )
    p = np.asarray(raw, dtype=np.float64)
    if p.shape != (len(responses),):
        raise ValueError(f"predict returned shape {p.shape} for {len(responses)} responses")
    return p


def score(responses: Responses, p: NDArray[np.float64]) -> tuple[Metrics, dict[str, Metrics]]:
    """Overall and per-skill metrics of predictions aligned with `responses`."""
    overall = compute_scored(responses.correct, p)
    return overall, compute_by_group(responses.correct, p, responses.skill, responses.skills)


def evaluate(params: Model, responses: Responses) -> Metrics:
    """Overall metrics; `dropped` counts responses on skills missing from `params`."""
    return compute_scored(responses.correct, predictions(params, responses))


def evaluate_by_skill(params: Model, responses: Responses) -> dict[str, Metrics]:
    """Metrics per skill name; a skill without parameters has n=0 and all responses dropped."""
    p = predictions(params, responses)
    return compute_by_group(responses.correct, p, responses.skill, responses.skills)
