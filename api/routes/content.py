"""Content import (designers, admins): curriculum YAML or item CSV, all-or-nothing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, UploadFile
from starlette.concurrency import run_in_threadpool

from api.deps import DesignerUser, RuntimeDep, SessionDep
from api.services import content_import
from api.services.errors import Invalid

router = APIRouter(prefix="/api/content", tags=["content"])


@router.post("/import", response_model=dict[str, Any])
async def import_content(
    session: SessionDep,
    runtime: RuntimeDep,
    _user: DesignerUser,
    file: Annotated[UploadFile, File(description="curriculum .yaml or item bank .csv")],
    kind: Annotated[Literal["curriculum", "items"] | None, Query()] = None,
) -> dict[str, Any]:
    """Validate the whole file, then store it; 422 with the validation report otherwise.

    A curriculum YAML replaces the curriculum (items it no longer lists are retired);
    an item CSV adds items to the stored curriculum. The kind follows the file name
    (.csv -> items) unless `kind` is given.
    """
    limit = runtime.settings.max_import_bytes
    raw = await file.read(limit + 1)
    if len(raw) > limit:
        raise Invalid(f"file: larger than {limit} bytes (PATHWAYS_MAX_IMPORT_BYTES)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"file: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    # Parsing and writing are blocking: keep them off the event loop.
    return await run_in_threadpool(content_import.import_text, session, text, file.filename, kind)
