"""The files of a OneRoster roster, from a folder or a zip archive, by base name.

Only the files Pathways reads are kept (other OneRoster files, such as courses.csv,
are allowed and ignored). A zip is read with a cap on its unpacked size, so a small
archive cannot unpack into gigabytes.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from api.services.errors import Invalid
from api.services.roster_csv import FILES, MANIFEST

WANTED = (MANIFEST, *FILES)


def from_zip(data: bytes, limit: int, source: str = "the zip file") -> dict[str, bytes]:
    """The wanted files of a zip archive; Invalid (naming the problem) if it cannot be read."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise Invalid(f"{source}: not a zip archive") from None
    files: dict[str, bytes] = {}
    total = 0
    with archive:
        for info in archive.infolist():
            name = Path(info.filename).name
            if info.is_dir() or name not in WANTED:
                continue
            if name in files:
                raise Invalid(f"{source}: holds {name} twice ({info.filename})")
            total += info.file_size
            if total > limit:
                raise Invalid(f"{source}: unpacks to more than {limit} bytes")
            try:
                files[name] = archive.read(info)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
                raise Invalid(f"{source}: {info.filename} cannot be unpacked ({exc})") from None
    return files


def from_path(path: Path, limit: int) -> dict[str, bytes]:
    """The wanted files of a roster folder or zip archive on disk."""
    if path.is_dir():
        files: dict[str, bytes] = {}
        for name in WANTED:
            candidate = path / name
            if candidate.is_file():
                files[name] = candidate.read_bytes()
        return files
    if path.is_file():
        return from_zip(path.read_bytes(), limit, path.name)
    raise Invalid(f"{path}: no such folder or zip file")
