"""Batch prediction: P(correct) before every response, from each sequence's prior.

The BKT forward filter of `engine.trace`, run by a compiled kernel over all
(skill, student) sequences at once. The belief is carried as the pair
(P(unknown), P(known)), as pyBKT does and as `engine.trace` does with the same
operations, so predict, trace and the online update agree to the bit. A single
float P(known) would round to exactly 1.0 after a long run of correct answers
and (without forgetting) never register later errors; on ASSISTments 2009 that
costs about 0.015 AUC.

Per-item guess/slip/learn/forget and per-class priors are resolved once per
distinct (skill, item) or (skill, class) pair, not per response.

Skills without parameters get NaN (prediction and mastery) and are counted in
`Prediction.n_missing`; evaluators drop them. That matches what pyBKT's
`evaluate` does on the ASSISTments train/test split, where it only scores the
skills the model was fitted on (its skill filter is the list of fitted skills),
so both engines are scored on the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.kernels import forward_trace
from engine.params import ModelParams, SkillParams
from engine.responses import Responses


@dataclass(frozen=True)
class Prediction:
    """Per-response results aligned with the `Responses` rows."""

    p_correct: NDArray[np.float64]  # P(correct) before the response
    mastery: NDArray[np.float64]  # P(known) after the response (before the next one)
    missing_skills: tuple[str, ...]  # skills present in the data but not in the params
    n_missing: int  # responses left unpredicted (NaN) because of them


def _pairs(
    skill: NDArray[np.int32], code: NDArray[np.int32], n_codes: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Distinct (skill, code) pairs: their skill, their code, and each row's pair index."""
    key = skill.astype(np.int64) * max(n_codes, 1) + code
    uniq, inv = np.unique(key, return_inverse=True)
    return uniq // max(n_codes, 1), uniq % max(n_codes, 1), inv.ravel().astype(np.int64)


def _has_items(params: list[SkillParams | None]) -> bool:
    return any(
        p is not None and (p.item_guess or p.item_slip or p.item_learn or p.item_forget)
        for p in params
    )


def predict_trace(params: ModelParams, responses: Responses) -> Prediction:
    """P(correct) and mastery for every response; NaN for skills absent from `params`."""
    n = len(responses)
    by_code: list[SkillParams | None] = [params.skills.get(s) for s in responses.skills]
    starts = responses.sequence_starts()
    first = starts[:-1]

    # emission and transition tables, indexed per row
    if _has_items(by_code):
        pair_skill, pair_item, idx = _pairs(responses.skill, responses.item, len(responses.items))
        no_items = responses.items == ("",)
        tables = np.full((4, pair_skill.shape[0]), np.nan)
        for j, (k, it) in enumerate(zip(pair_skill.tolist(), pair_item.tolist(), strict=True)):
            p = by_code[k]
            if p is not None:
                item = None if no_items else responses.items[it]
                tables[:, j] = (
                    p.guess_for(item),
                    p.slip_for(item),
                    p.learn_for(item),
                    p.forget_for(item),
                )
    else:
        idx = responses.skill.astype(np.int64)
        tables = np.full((4, len(by_code)), np.nan)
        for k, p in enumerate(by_code):
            if p is not None:
                tables[:, k] = (p.guess, p.slip, p.learn, p.forget)

    # prior per sequence, from the class of its first response
    seq_skill = responses.skill[first]
    if responses.classes != ("",) and any(p is not None and p.class_prior for p in by_code):
        pk, pc, pidx = _pairs(seq_skill, responses.student_class[first], len(responses.classes))
        values = np.full(pk.shape[0], np.nan)
        for j, (k, c) in enumerate(zip(pk.tolist(), pc.tolist(), strict=True)):
            p = by_code[k]
            if p is not None:
                values[j] = p.prior_for(responses.classes[c])
        seq_prior = values[pidx]
    else:
        priors = np.array([np.nan if p is None else p.prior for p in by_code], dtype=np.float64)
        seq_prior = priors[seq_skill]

    out_p = np.empty(n)
    out_m = np.empty(n)
    tab = np.ascontiguousarray(tables)
    forward_trace(
        np.ascontiguousarray(responses.correct, dtype=np.int8),
        starts,
        np.ascontiguousarray(seq_prior),
        idx,
        idx,
        tab[0],
        tab[1],
        tab[2],
        tab[3],
        out_p,
        out_m,
    )
    present = np.unique(responses.skill)
    missing_codes = [k for k in present.tolist() if by_code[k] is None]
    n_missing = int(np.isin(responses.skill, missing_codes).sum()) if missing_codes else 0
    missing = tuple(responses.skills[k] for k in missing_codes)
    return Prediction(out_p, out_m, missing, n_missing)


def predict(params: ModelParams, responses: Responses) -> NDArray[np.float64]:
    """P(correct) before each response (NaN where the skill has no parameters)."""
    return predict_trace(params, responses).p_correct
