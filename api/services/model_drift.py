"""Content edits that change the model past answers were traced with replay the log.

The parameters the service traces with depend on the content as well as on the active
set: a skill without fitted values runs on the curriculum's declared ones, an item's
guess is at least 1/choices, its difficulty tag shifts guess and slip
(`content.cold_start`, `Snapshot.by_skill`). An edit that changes any of these for an
item that has answers (a difficulty re-tagged, choices added, an item retired, a
skill's declared values) would leave the stored mastery different from a replay of
the log. So such an edit replays the log in its own write transaction and moves the
parameter revision, which makes every process drop its snapshot and kept states.
Edits that change nothing a logged answer was traced with (a prompt, a new item)
cost two catalog reads (the snapshot without its recommender) and no replay.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from api.services.cache import Catalog, bump_revision, read_catalog, read_revision
from api.services.replay import replay_into
from models.mastery import Mastery
from models.responses import ResponseLog

logger = logging.getLogger(__name__)
_Traced = tuple[object, ...]


def _traced(snap: Catalog, skill: str, items: Iterable[str]) -> _Traced:
    """Everything about `skill` that tracing answers to `items` reads."""
    p = snap.skill_params(skill)
    return (
        p.prior,
        p.learn,
        p.guess,
        p.slip,
        p.forget,
        tuple(sorted(p.class_prior.items())),
        tuple((i, p.guess_for(i), p.slip_for(i), p.learn_for(i), p.forget_for(i)) for i in items),
    )


def changed_skills(session: Session, before: Catalog, after: Catalog) -> list[str]:
    """Skills with answers whose traced model differs between the two snapshots."""
    if dict(before.by_skill) == dict(after.by_skill):
        return []
    answered_skills = set(session.execute(sa_select(col(Mastery.skill_id)).distinct()).scalars())
    logged = sa_select(col(ResponseLog.item_id)).distinct()
    answered_items = sorted(session.execute(logged).scalars())
    items_of: dict[str, list[str]] = {}
    for item in answered_items:
        tags: set[str] = set()
        for snap in (before, after):
            found = snap.items.get(item)
            if found is not None:
                tags.update(found.skills)
        for s in tags:
            items_of.setdefault(s, []).append(item)
    return [
        s
        for s in sorted(answered_skills)
        if _traced(before, s, items_of.get(s, ())) != _traced(after, s, items_of.get(s, ()))
    ]


@contextmanager
def replay_if_model_changed(session: Session) -> Iterator[None]:
    """Around a content write, inside its write transaction: replay the log when the
    write changed the model of answered skills."""
    before = read_catalog(session, read_revision(session))
    yield
    session.flush()
    after = read_catalog(session, read_revision(session))
    changed = changed_skills(session, before, after)
    if changed:
        bump_revision(session, params=True)
        done = replay_into(session, after)
        logger.info(
            "content change altered the model of %d answered skill(s) %s: replayed %d answers",
            len(changed),
            changed[:5],
            done.responses,
        )
