"""The body of every error reply of the JSON API, as documented in the OpenAPI schema.

One shape for every status: `detail` is always one readable sentence; `errors` lists
the individual problems with where they are (`loc`), for a client that shows them
next to its fields; `report` carries a content validation report (import, item
editor) when there is one. Extra keys (e.g. a request id) may be added.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorItem(BaseModel):
    """One problem: where (a path into the request or a file location) and what."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int] = Field(default_factory=list, description="Where the problem is.")
    msg: str = Field(description="What is wrong, in words.")
    type: str = Field(default="error", description="A short machine-readable kind.")


class ErrorBody(BaseModel):
    """What every error reply carries."""

    model_config = ConfigDict(extra="allow")

    detail: str = Field(description="What went wrong, in one readable sentence.")
    errors: list[ErrorItem] = Field(
        default_factory=list, description="The individual problems, when there are several."
    )
    report: dict[str, Any] | None = Field(
        default=None,
        description="A content validation report (counts and every problem), when there is one.",
    )
