"""Where the shared research data live: `$PATHWAYS_SHARED_DATA`, else `shared/data` beside
the repo.

The location is a product setting (`pathways demo` reads the Cognitive Tutor sample
from it), so it lives here; benchmarks and tests import it from here. Stdlib only, so
importing it costs nothing at start-up.
"""

from __future__ import annotations

import os
from pathlib import Path

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
