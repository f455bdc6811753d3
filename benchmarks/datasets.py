"""Where the shared data live, and loaders for the three shared files.

The data are read in place (never copied into the repo). `python -m
benchmarks.datasets` measures our loaders against a plain `pandas.read_csv`
of the same file, measured in the same run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from engine.io import load_responses
from engine.io.mapping import MultiSkill
from engine.responses import Responses

ENV_VAR = "PATHWAYS_SHARED_DATA"
REPO_ROOT = Path(__file__).resolve().parent.parent

CT = Path("cognitive_tutor/ct.csv")
ASSISTMENTS_TRAIN = Path("assistments2009/builder_train.csv")
ASSISTMENTS_TEST = Path("assistments2009/builder_test.csv")


class SharedDataMissing(FileNotFoundError):
    """The shared data folder or one of its files is absent."""


def shared_data_dir() -> Path:
    """`$PATHWAYS_SHARED_DATA`, else `<repo root>/../shared/data`; may not exist."""
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


def shared_file(relative: Path, root: Path | None = None) -> Path:
    """Absolute path of a shared file; `SharedDataMissing` says where it was looked for."""
    base = shared_data_dir() if root is None else root
    path = base / relative
    if not path.is_file():
        raise SharedDataMissing(
            f"shared data file not found at {path}; set {ENV_VAR} to the shared data folder"
        )
    return path


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
