"""Paged lists: `limit` and `offset` query parameters, the total in `X-Total-Count`.

Every list route answers one page (at most `limit` rows, 100 unless asked, 1000 at
most), still as a JSON array, so existing clients keep working; the total number of
rows is in the `X-Total-Count` header and the neighbouring pages are in `Link`
(rel="next" / rel="prev", as GitHub's API does). A page never costs more than its
rows plus one count query, however long the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query, Request, Response
from sqlalchemy import func, select
from sqlalchemy.sql import Select
from sqlmodel import Session

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000
TOTAL_HEADER = "X-Total-Count"

Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description="Most rows in this page (default 100).")
]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip first.")]

PAGED_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One page of the list (see `limit`, `offset`).",
        "headers": {
            TOTAL_HEADER: {
                "description": "How many rows the whole list has.",
                "schema": {"type": "integer", "minimum": 0},
            },
            "Link": {
                "description": 'The next and previous pages (rel="next", rel="prev").',
                "schema": {"type": "string"},
            },
        },
    }
}


def count(session: Session, query: Select[Any]) -> int:
    """Rows `query` would return (ORDER BY dropped)."""
    inner = query.order_by(None).subquery()
    return int(session.execute(select(func.count()).select_from(inner)).scalar_one())


def page(session: Session, query: Select[Any], limit: int, offset: int) -> tuple[list[Any], int]:
    """(this page's rows, total) of an ordered query."""
    rows = list(session.execute(query.limit(limit).offset(offset)).scalars())
    if offset == 0 and len(rows) < limit:
        return rows, len(rows)  # the whole list fits: no count query
    return rows, count(session, query)


def set_headers(
    request: Request, response: Response, total: int, limit: int, offset: int, shown: int
) -> None:
    """X-Total-Count and Link for the page just answered."""
    response.headers[TOTAL_HEADER] = str(total)
    links = []
    if offset + shown < total:
        links.append(
            f'<{request.url.include_query_params(limit=limit, offset=offset + limit)}>; rel="next"'
        )
    if offset > 0:
        prev = max(0, offset - limit)
        links.append(f'<{request.url.include_query_params(limit=limit, offset=prev)}>; rel="prev"')
    if links:
        response.headers["Link"] = ", ".join(links)


@dataclass(frozen=True)
class PageRequest:
    """The page a list route was asked for (`PageDep`); it sets the page's headers."""

    request: Request
    response: Response
    limit: int
    offset: int

    def rows(self, session: Session, query: Select[Any]) -> list[Any]:
        """This page of an ordered query, the headers set."""
        rows, total = page(session, query, self.limit, self.offset)
        self.tell(total, len(rows))
        return rows

    def tell(self, total: int, shown: int) -> None:
        set_headers(self.request, self.response, total, self.limit, self.offset, shown)


def page_request(
    request: Request, response: Response, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> PageRequest:
    return PageRequest(request, response, limit, offset)
