"""The roster a dry run was tried on, kept until it is applied from the admin page.

The page's "apply" button sends only the dry run's id; the upload waits in the data
directory (owner-only, like the database), one file per dry run, removed once
applied, and all of them when a student is purged (they may name the student).
"""

from __future__ import annotations

import os
from pathlib import Path

from api.db import PRIVATE_DIR, PRIVATE_FILE

FOLDER = "roster-uploads"


def _path(data_dir: Path, import_id: int) -> Path:
    return data_dir / FOLDER / f"{int(import_id)}.zip"


def keep(data_dir: Path, import_id: int, data: bytes) -> None:
    folder = data_dir / FOLDER
    folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    fd = os.open(_path(data_dir, import_id), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def load(data_dir: Path, import_id: int) -> bytes | None:
    path = _path(data_dir, import_id)
    return path.read_bytes() if path.is_file() else None


def discard(data_dir: Path, import_id: int | None = None) -> None:
    """Remove one kept upload, or (no id) every one."""
    folder = data_dir / FOLDER
    targets = [_path(data_dir, import_id)] if import_id is not None else folder.glob("*.zip")
    for path in targets:
        path.unlink(missing_ok=True)
