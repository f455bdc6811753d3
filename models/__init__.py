"""SQLModel tables and API schemas of the classroom service.

Importing the package registers every table on `SQLModel.metadata` (Alembic's
target); the modules are listed here once, one idea per module.
"""

from models import (  # noqa: F401  (imported for their table definitions)
    audit,
    classes,
    content,
    fit_jobs,
    goals,
    guardians,
    lti,
    mastery,
    params,
    responses,
    revision,
    roster,
    security,
    users,
    xapi,
)
