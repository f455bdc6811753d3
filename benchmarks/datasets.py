"""Loaders for the three shared files (where they live: `cli.datasets`).

The data are read in place (never copied into the repo). `python -m
benchmarks.datasets` measures our loaders against a plain `pandas.read_csv`
of the same file, measured in the same run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from cli.datasets import (
    ASSISTMENTS_TEST,
    ASSISTMENTS_TRAIN,
    CT,
    ENV_VAR,
    REPO_ROOT,
    SharedDataMissing,
    shared_data_dir,
    shared_file,
)
from engine.io import load_responses
from engine.io.mapping import MultiSkill
from engine.responses import Responses

__all__ = [
    "ASSISTMENTS_TEST",
    "ASSISTMENTS_TRAIN",
    "CT",
    "ENV_VAR",
    "REPO_ROOT",
    "SharedDataMissing",
    "assistments_path",
    "ct_path",
    "load_assistments",
    "load_ct",
    "shared_data_dir",
    "shared_file",
]


def ct_path(root: Path | None = None) -> Path:
    return shared_file(CT, root)


def assistments_path(split: str = "train", root: Path | None = None) -> Path:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return shared_file(ASSISTMENTS_TRAIN if split == "train" else ASSISTMENTS_TEST, root)


def load_ct(multi_skill: MultiSkill = "split", root: Path | None = None) -> Responses:
    """Cognitive Tutor sample: 16,858 responses, 587 students, 12 skills, 550 problems."""
    return load_responses(ct_path(root), format="ct", multi_skill=multi_skill)


def load_assistments(split: str = "train", root: Path | None = None) -> Responses:
    """ASSISTments 2009 DKT split: train 3,361 sequences / 407,967 responses; test 856 / 117,567."""
    return load_responses(assistments_path(split, root), format="dkt")


def _best_of(repeats: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _split_lines(path: Path) -> object:
    """Peer for the DKT files: the least any parser does (split every line on commas)."""
    return [line.split(",") for line in path.read_text().splitlines()]


def main() -> None:
    """Load time of each shared file vs a peer: `pandas.read_csv` (tables), line splitting (DKT)."""
    loaders: list[tuple[str, Path, Callable[[], Responses], Callable[[Path], object]]] = [
        ("ct", ct_path(), load_ct, pd.read_csv),
        ("assistments train", assistments_path("train"), lambda: load_assistments("train"),
         _split_lines),
        ("assistments test", assistments_path("test"), lambda: load_assistments("test"),
         _split_lines),
    ]  # fmt: skip
    print(f"shared data: {shared_data_dir()}")
    print(f"{'file':<18} {'responses':>9} {'students':>8} {'skills':>6} "
          f"{'load s':>7} {'peer s':>7} {'ratio':>6}")  # fmt: skip
    for name, path, load, peer_fn in loaders:
        responses = load()
        ours = _best_of(5, load)
        peer = _best_of(5, lambda: peer_fn(path))  # noqa: B023 - called inside the loop
        print(
            f"{name:<18} {len(responses):>9,} {len(responses.students):>8,} "
            f"{len(responses.skills):>6} {ours:>7.3f} {peer:>7.3f} {ours / peer:>6.1f}"
        )


if __name__ == "__main__":
    main()
