"""One row of counters bumped when content or parameters change.

Workers compare it with what their in-memory caches were built from, so an import
or an activation by one process is seen by every other one. Answer transactions
read it under a share lock on PostgreSQL, which also orders them against
activation + replay (which update it).
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel

REVISION_ROW = 1


class Revision(SQLModel, table=True):
    id: int = Field(default=REVISION_ROW, primary_key=True)
    content: int = 0
    params: int = 0
