"""The row order `Responses` keeps: by skill, then student, time order kept within each.

A two-key counting sort (stable, O(rows + skills + students)) instead
of `np.lexsort`, which compares keys row by row: on the 400k ASSISTments rows it is
several times faster, and building `Responses` is part of every fit.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray


@njit(cache=True, nogil=True)
def _counting_order(
    key: NDArray[np.int32], n_keys: int, within: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Stable order of `within` (row indices) by `key[within]`, keys in 0..n_keys-1."""
    counts = np.zeros(n_keys + 1, np.int64)
    for i in within:
        counts[key[i] + 1] += 1
    for k in range(n_keys):
        counts[k + 1] += counts[k]
    out = np.empty(within.shape[0], np.int64)
    for i in within:
        k = key[i]
        out[counts[k]] = i
        counts[k] += 1
    return out


def skill_student_order(skill: NDArray[np.int32], student: NDArray[np.int32]) -> NDArray[np.int64]:
    """Row indices sorted by (skill, student), input order kept among equal keys;
    equal to `np.lexsort((np.arange(n), student, skill))`. Codes must be >= 0."""
    n = skill.shape[0]
    if n == 0:
        return np.empty(0, np.int64)
    if int(skill.min()) < 0 or int(student.min()) < 0:
        raise ValueError("skill and student codes must be non-negative")
    rows = np.arange(n, dtype=np.int64)
    by_student = _counting_order(student.astype(np.int32, copy=False), int(student.max()) + 1, rows)
    return _counting_order(skill.astype(np.int32, copy=False), int(skill.max()) + 1, by_student)
