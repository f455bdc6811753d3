"""The student's previous answer as a guess/slip context (the `recent` family).

FAST-style (Gonzalez-Brenes et al. 2014) but with a binary feature, so the
logistic term is saturated: each skill has a guess and a slip per context of the
row, shrunk toward the skill's own by pseudo-responses, and the HMM, its
P(known) and the online update are unchanged. The context of a response is what
the student did just before it, on any skill, so a prediction never sees its
own label and the service knows it too: no earlier answer; the previous answer
wrong or right; on the same skill or another one. A response to a problem with
several skills, split into one row per skill, is then seen right after its copy
on the other skill ("other skill"), which this captures as well.

Without a time order across skills (`Responses.position` None) only the same
sequence's previous answer is known: "other skill" contexts never occur.
The context is stored where the item families keep an item, as the class name
"<item>|<context>" (just "<context>" when the data have no items).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from engine.responses import Responses

ContextMode = Literal["", "previous", "item+previous"]  # "": none
MODES: tuple[str, ...] = ("", "previous", "item+previous")
CONTEXTS: tuple[str, ...] = ("first", "same wrong", "same right", "other wrong", "other right")
SEP = "|"


def context_name(previous: tuple[str, bool] | None, skill: str) -> str:
    """The context of an answer on `skill` after `previous` (skill, correct), online."""
    if previous is None:
        return CONTEXTS[0]
    prev_skill, prev_correct = previous
    return CONTEXTS[1 + 2 * (prev_skill != skill) + int(bool(prev_correct))]


def class_name(item: str, context: str) -> str:
    return context if item == "" else f"{item}{SEP}{context}"


def previous_answer(responses: Responses) -> NDArray[np.int64]:
    """Each row's context code (an index into CONTEXTS), from earlier rows only."""
    n = len(responses)
    code = np.zeros(n, dtype=np.int64)
    if n == 0:
        return code
    if responses.position is None:
        starts = responses.sequence_starts()
        later = np.ones(n, dtype=bool)
        later[starts[:-1]] = False
        idx = np.flatnonzero(later)
        code[idx] = 1 + responses.correct[idx - 1].astype(np.int64)
        return code
    order = np.lexsort((np.arange(n), responses.position, responses.student))
    cur, prev = order[1:], order[:-1]
    seen = responses.student[cur] == responses.student[prev]
    cur, prev = cur[seen], prev[seen]
    other = responses.skill[cur] != responses.skill[prev]
    code[cur] = 1 + 2 * other.astype(np.int64) + responses.correct[prev].astype(np.int64)
    return code


def with_context(responses: Responses, mode: ContextMode) -> Responses:
    """The responses with each item replaced by its class: the context ("previous") or the
    pair (item, context) ("item+previous"); unchanged for mode ""."""
    if mode == "":
        return responses
    if mode == "previous":
        responses = replace(responses, item=np.zeros(len(responses), dtype=np.int32), items=("",))
    ctx = previous_answer(responses)
    n_ctx = len(CONTEXTS)
    key = responses.item.astype(np.int64) * n_ctx + ctx
    uniq, inv = np.unique(key, return_inverse=True)
    names = tuple(class_name(responses.items[k // n_ctx], CONTEXTS[k % n_ctx]) for k in uniq)
    return replace(responses, item=inv.ravel().astype(np.int32), items=names)
