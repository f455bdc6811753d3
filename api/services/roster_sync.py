"""Bringing the stored schools, accounts, classes and enrolments in line with a roster.

`sync(session, roster)` makes the changes and returns what it changed, inside the
caller's write transaction; the caller commits (an import) or rolls back (a dry run,
or a roster whose references do not resolve), so a dry run reports exactly what the
import would do. Records are matched by `sourcedId` through the `roster_*` tables.

Rules: a user marked `tobedeleted` (or `enabledUser` false) is deactivated, never
deleted (their answers stay); with `file.users=bulk` a rostered user missing from the
file is deactivated too. Only students and teachers get accounts; other roles are
counted as skipped. Enrolments with role student enrol, with role teacher make the
user teach the class; `tobedeleted`, or missing from a bulk file, removes them (only
those a roster made). A class marked `tobedeleted` loses its rostered enrolments.
Demographics replace the demographic attributes of all the student's enrolments and
leave other attributes (set by hand) alone. Accounts a roster makes have no password
(an admin sets one, or the student arrives through the LMS).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, insert, update
from sqlmodel import Session, select

from api.services.roster_csv import (
    DEMOGRAPHICS,
    IMPORTED_ROLES,
    Problem,
    Roster,
    RosterEnrolmentRow,
)
from models.classes import Classroom, ClassTeacher, Enrolment
from models.roster import RosterClass, RosterEnrolment, RosterUser, School
from models.types import utcnow
from models.users import Role, User

NO_PASSWORD = "!roster"  # not an argon2 hash: no password matches it
DEMOGRAPHIC_KEYS = frozenset(DEMOGRAPHICS.values())


@dataclass(frozen=True)
class Change:
    file: str
    row: int | None
    sourced_id: str
    action: str  # created | updated | deactivated | reactivated | deleted | added | removed
    label: str
    fields: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "sourced_id": self.sourced_id,
            "action": self.action,
            "label": self.label,
            "fields": list(self.fields),
        }


@dataclass
class Link:
    """A roster-made enrolment or teacher link (a `roster_enrolment` row), kept plain:
    building thousands of SQLModel objects took seconds."""

    sourced_id: str
    class_id: int
    user_id: int
    role: str


@dataclass
class NewAccount:
    """An account this import makes (inserted in one batch; `id` comes with it)."""

    username: str
    full_name: str
    role: Role
    is_active: bool
    password_hash: str = NO_PASSWORD
    id: int | None = None


@dataclass
class SyncResult:
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        counts: dict[str, dict[str, int]] = {}
        for c in self.changes:
            kind = c.file.removesuffix(".csv")
            counts.setdefault(kind, {}).setdefault(c.action, 0)
            counts[kind][c.action] += 1
        return {
            "changes": len(self.changes),
            "counts": counts,
            "skipped": dict(self.skipped),
            "problems": len(self.problems),
        }


class _Sync:
    def __init__(self, session: Session, roster: Roster) -> None:
        self.s = session
        self.roster = roster
        self.result = SyncResult()
        self.pending: dict[Any, list[dict[str, Any]]] = {
            Enrolment.__table__: [],  # type: ignore[attr-defined]
            ClassTeacher.__table__: [],  # type: ignore[attr-defined]
            RosterEnrolment.__table__: [],  # type: ignore[attr-defined]
        }
        self.refused: set[str] = set()  # users and classes with a problem of their own
        self.schools = {
            sc.sourced_id: sc
            for sc in session.execute(select(School)).scalars()
            if sc.sourced_id is not None
        }
        self.users: dict[str, User | NewAccount] = {
            sid: u
            for u, sid in session.exec(
                select(User, RosterUser.sourced_id).join(
                    RosterUser,
                    RosterUser.user_id == User.id,  # type: ignore[arg-type]
                )
            ).all()
        }
        self.by_id: dict[int, User | NewAccount] = {u.id: u for u in self.users.values() if u.id}
        self.usernames: dict[str, int] = {
            name: uid for name, uid in session.exec(select(User.username, User.id)) if uid
        }
        self.class_links = {
            rc.sourced_id: rc
            for rc in session.execute(select(RosterClass)).scalars()
            if rc.sourced_id is not None
        }
        self.classes = {c.id: c for c in session.execute(select(Classroom)).scalars()}
        self.class_names = {c.name: cid for cid, c in self.classes.items()}
        links = RosterEnrolment.__table__  # type: ignore[attr-defined]
        self.links = {
            sid: Link(sid, class_id, user_id, role)
            for sid, class_id, user_id, role in session.execute(
                select(links.c.sourced_id, links.c.class_id, links.c.user_id, links.c.role)
            ).all()
        }
        self.enrolled: set[tuple[int, int]] = set(
            session.exec(select(Enrolment.class_id, Enrolment.student_id)).all()
        )
        self.teaching: set[tuple[int, int]] = set(
            session.exec(select(ClassTeacher.class_id, ClassTeacher.teacher_id)).all()
        )

    def change(
        self,
        file: str,
        row: int | None,
        sid: str,
        action: str,
        label: str,
        fields: tuple[str, ...] = (),
    ) -> None:
        self.result.changes.append(Change(file, row, sid, action, label, fields))

    def problem(self, file: str, row: int, column: str, message: str) -> None:
        self.result.problems.append(Problem(file, row, column, message))

    # -- orgs --------------------------------------------------------------------------

    def orgs(self) -> None:
        for org in self.roster.orgs:
            school = self.schools.get(org.sourced_id)
            if org.deleted:
                if school is not None:
                    self.s.delete(school)
                    del self.schools[org.sourced_id]
                    self.change("orgs.csv", org.row, org.sourced_id, "deleted", org.name)
                continue
            values = {"name": org.name, "kind": org.kind, "identifier": org.identifier}
            if school is None:
                school = School(
                    sourced_id=org.sourced_id,
                    name=org.name,
                    kind=org.kind,
                    identifier=org.identifier,
                )
                self.s.add(school)
                self.schools[org.sourced_id] = school
                self.change("orgs.csv", org.row, org.sourced_id, "created", org.name)
                continue
            changed = tuple(k for k, v in values.items() if getattr(school, k) != v)
            if changed:
                for k in changed:
                    setattr(school, k, values[k])
                self.change("orgs.csv", org.row, org.sourced_id, "updated", org.name, changed)
        self.s.flush()

    # -- users -------------------------------------------------------------------------

    def users_(self) -> None:
        listed: set[str] = set()
        created: list[tuple[str, NewAccount]] = []
        for person in self.roster.users:
            listed.add(person.sourced_id)
            if person.role not in IMPORTED_ROLES:
                self.result.skipped[f"users with role {person.role}"] += 1
                continue
            user = self.users.get(person.sourced_id)
            owner = self.usernames.get(person.username)
            if owner is not None and (user is None or owner != user.id):
                self.problem(
                    "users.csv",
                    person.row,
                    "username",
                    f"{person.username!r} is already the username of another account",
                )
                self.refused.add(person.sourced_id)
                continue
            if user is None:
                if person.deleted:
                    continue  # never made, nothing to deactivate
                new = NewAccount(
                    person.username, person.full_name, Role(person.role), person.active
                )
                created.append((person.sourced_id, new))
                self.users[person.sourced_id] = new
                self.usernames[person.username] = -1  # taken; the id comes with the insert
                self.change("users.csv", person.row, person.sourced_id, "created", person.username)
                continue
            if user.role != person.role:
                self.problem(
                    "users.csv",
                    person.row,
                    "role",
                    f"the account is a {user.role}; Pathways does not change an account's role "
                    f"to {person.role} (make a new account with a new sourcedId)",
                )
                self.refused.add(person.sourced_id)
                continue
            assert isinstance(user, User)  # made in this run only once: sourcedIds are unique
            changed = []
            if user.username != person.username:
                self.usernames.pop(user.username, None)
                self.usernames[person.username] = user.id or -1
                user.username = person.username
                changed.append("username")
            if user.full_name != person.full_name:
                user.full_name = person.full_name
                changed.append("full name")
            action = "updated"
            if user.is_active != person.active:
                user.is_active = person.active
                action = "reactivated" if person.active else "deactivated"
            if changed or action != "updated":
                self.s.add(user)
                self.change(
                    "users.csv",
                    person.row,
                    person.sourced_id,
                    action,
                    person.username,
                    tuple(changed),
                )
        if self.roster.bulk("users.csv"):
            for sid, user in self.users.items():
                if sid not in listed and user.is_active:
                    user.is_active = False
                    self.s.add(user)
                    self.change(
                        "users.csv", None, sid, "deactivated", user.username, ("not listed",)
                    )
        self.s.flush()  # renames first, so a new account may take a freed username
        if not created:
            return
        table = User.__table__  # type: ignore[attr-defined]
        now = utcnow()
        rows = [
            {
                "username": u.username,
                "full_name": u.full_name,
                "role": str(u.role),
                "password_hash": u.password_hash,
                "is_active": u.is_active,
                "created_at": now,
                "token_generation": 0,
            }
            for _, u in created
        ]
        ids = self.s.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
        ).scalars()
        for (_, user), user_id in zip(created, ids, strict=True):
            user.id = user_id
            self.usernames[user.username] = user_id
            self.by_id[user_id] = user
        self.s.execute(
            insert(RosterUser.__table__),  # type: ignore[attr-defined]
            [{"user_id": u.id, "sourced_id": sid} for sid, u in created],
        )

    # -- classes -----------------------------------------------------------------------

    def classes_(self) -> None:
        created: list[tuple[str, Classroom, int | None]] = []
        for row in self.roster.classes:
            school = self.schools.get(row.school)
            link = self.class_links.get(row.sourced_id)
            if row.deleted:
                if link is not None:
                    self._empty_class(link.class_id)
                    self.change("classes.csv", row.row, row.sourced_id, "emptied", row.name)
                continue
            if school is None:
                self.problem(
                    "classes.csv",
                    row.row,
                    "schoolSourcedId",
                    f"no org {row.school!r} in orgs.csv or stored from an earlier roster",
                )
                self.refused.add(row.sourced_id)
                continue
            holder = self.class_names.get(row.name)
            mine = link.class_id if link is not None else None
            if holder is not None and holder != mine:
                self.problem(
                    "classes.csv",
                    row.row,
                    "title",
                    f"a class named {row.name!r} already exists (not from this roster's "
                    f"{row.sourced_id!r}); give it a class code",
                )
                self.refused.add(row.sourced_id)
                continue
            if link is None:
                classroom = Classroom(name=row.name)
                self.s.add(classroom)
                created.append((row.sourced_id, classroom, school.id))
                self.class_names[row.name] = -1
                self.change("classes.csv", row.row, row.sourced_id, "created", row.name)
                continue
            classroom = self.classes[link.class_id]
            changed = []
            if classroom.name != row.name:
                self.class_names.pop(classroom.name, None)
                self.class_names[row.name] = link.class_id
                classroom.name = row.name
                self.s.add(classroom)
                changed.append("name")
            if link.school_id != school.id:
                link.school_id = school.id
                self.s.add(link)
                changed.append("school")
            if changed:
                self.change(
                    "classes.csv", row.row, row.sourced_id, "updated", row.name, tuple(changed)
                )
        self.s.flush()
        for sid, classroom, school_id in created:
            assert classroom.id is not None
            self.classes[classroom.id] = classroom
            self.class_names[classroom.name] = classroom.id
            link = RosterClass(class_id=classroom.id, sourced_id=sid, school_id=school_id)
            self.s.add(link)
            self.class_links[sid] = link
        self.s.flush()

    def _empty_class(self, class_id: int) -> None:
        for sid, link in list(self.links.items()):
            if link.class_id == class_id:
                self._unlink(link)
                del self.links[sid]

    def _insert_pending(self) -> None:
        """Write the enrolments, teacher links and source ids queued so far (one
        executemany each: the ORM's unit of work took most of a large import's time)."""
        for table, rows in self.pending.items():
            if rows:
                self.s.execute(insert(table), rows)
                rows.clear()

    def _unlink(self, link: Link) -> None:
        self._insert_pending()
        pair = (link.class_id, link.user_id)
        if link.role == "student":
            self.enrolled.discard(pair)
            self.s.execute(
                delete(Enrolment).where(
                    Enrolment.class_id == link.class_id,  # type: ignore[arg-type]
                    Enrolment.student_id == link.user_id,  # type: ignore[arg-type]
                )
            )
        else:
            self.teaching.discard(pair)
            self.s.execute(
                delete(ClassTeacher).where(
                    ClassTeacher.class_id == link.class_id,  # type: ignore[arg-type]
                    ClassTeacher.teacher_id == link.user_id,  # type: ignore[arg-type]
                )
            )
        self.s.execute(
            delete(RosterEnrolment).where(
                RosterEnrolment.sourced_id == link.sourced_id  # type: ignore[arg-type]
            )
        )

    # -- enrolments --------------------------------------------------------------------

    def enrolments(self) -> None:
        listed: set[str] = set()
        for row in self.roster.enrolments:
            listed.add(row.sourced_id)
            link = self.links.get(row.sourced_id)
            if row.deleted:
                if link is not None:
                    self._unlink(link)
                    del self.links[row.sourced_id]
                    self.change(
                        "enrollments.csv",
                        row.row,
                        row.sourced_id,
                        "removed",
                        self._label(link.class_id, link.user_id),
                    )
                continue
            if row.role not in IMPORTED_ROLES:
                self.result.skipped[f"enrolments with role {row.role}"] += 1
                continue
            target = self._resolve(row)
            if target is None:
                continue
            class_id, user_id = target
            if link is not None and (link.class_id, link.user_id, link.role) == (
                class_id,
                user_id,
                row.role,
            ):
                continue
            if link is not None:  # the same enrolment now points elsewhere
                self._unlink(link)
            self._link(class_id, user_id, row.role)
            made = Link(row.sourced_id, class_id, user_id, row.role)
            self.pending[RosterEnrolment.__table__].append(  # type: ignore[attr-defined]
                {
                    "sourced_id": made.sourced_id,
                    "class_id": class_id,
                    "user_id": user_id,
                    "role": row.role,
                }
            )
            self.links[row.sourced_id] = made
            self.change(
                "enrollments.csv",
                row.row,
                row.sourced_id,
                "moved" if link else "added",
                self._label(class_id, user_id),
            )
        if self.roster.bulk("enrollments.csv"):
            for sid, link in list(self.links.items()):
                if sid not in listed:
                    self._unlink(link)
                    del self.links[sid]
                    self.change(
                        "enrollments.csv",
                        None,
                        sid,
                        "removed",
                        self._label(link.class_id, link.user_id),
                        ("not listed",),
                    )

    def _resolve(self, row: RosterEnrolmentRow) -> tuple[int, int] | None:
        if row.class_sid in self.refused or row.user_sid in self.refused:
            return None  # its class or user has its problem reported already
        link = self.class_links.get(row.class_sid)
        user = self.users.get(row.user_sid)
        ok = True
        if link is None:
            self.problem(
                "enrollments.csv",
                row.row,
                "classSourcedId",
                f"no class {row.class_sid!r} in classes.csv or stored from an earlier roster",
            )
            ok = False
        if user is None:
            self.problem(
                "enrollments.csv",
                row.row,
                "userSourcedId",
                f"no student or teacher {row.user_sid!r} in users.csv "
                "or stored from an earlier roster",
            )
            ok = False
        elif user.role != row.role:
            self.problem(
                "enrollments.csv",
                row.row,
                "role",
                f"enrolled as {row.role}, but {row.user_sid!r} is a {user.role}",
            )
            ok = False
        if not ok or link is None or user is None:
            return None
        assert user.id is not None
        return link.class_id, user.id

    def _link(self, class_id: int, user_id: int, role: str) -> None:
        pair = (class_id, user_id)
        if role == "student":
            if pair not in self.enrolled:
                self.enrolled.add(pair)
                self.pending[Enrolment.__table__].append(  # type: ignore[attr-defined]
                    {"class_id": class_id, "student_id": user_id, "attributes": {}}
                )
        elif pair not in self.teaching:
            self.teaching.add(pair)
            self.pending[ClassTeacher.__table__].append(  # type: ignore[attr-defined]
                {"class_id": class_id, "teacher_id": user_id}
            )

    def _label(self, class_id: int, user_id: int) -> str:
        classroom = self.classes.get(class_id)
        user = self.by_id.get(user_id) or self.s.get(User, user_id)
        return (
            f"{user.username if user else user_id} in {classroom.name if classroom else class_id}"
        )

    # -- demographics ------------------------------------------------------------------

    def demographics(self) -> None:
        if self.roster.modes.get("demographics.csv", "absent") == "absent":
            return
        wanted: dict[int, dict[str, str]] = {}
        rows: dict[int, tuple[int, str]] = {}
        for demo in self.roster.demographics:
            user = self.users.get(demo.user_sid)
            if demo.user_sid in self.refused:
                continue
            if user is None:
                self.problem(
                    "demographics.csv",
                    demo.row,
                    "sourcedId",
                    f"no student {demo.user_sid!r} in users.csv or stored from an earlier roster",
                )
                continue
            if user.role != Role.student:
                continue
            assert user.id is not None
            wanted[user.id] = {} if demo.deleted else demo.attributes
            rows[user.id] = (demo.row, demo.user_sid)
        bulk = self.roster.bulk("demographics.csv")
        rostered = {u.id for u in self.users.values() if u.role == Role.student}
        sids = {u.id: k for k, u in self.users.items()}
        updates = []
        table = Enrolment.__table__  # type: ignore[attr-defined]
        found = self.s.execute(select(table.c.class_id, table.c.student_id, table.c.attributes))
        # enrolments this run makes are still queued: their attributes go into the insert
        queued = self.pending[table]
        candidates: list[tuple[int, int, Any, dict[str, Any] | None]] = [
            (c, st, a, None) for c, st, a in found.all()
        ]
        candidates += [(r["class_id"], r["student_id"], r["attributes"], r) for r in queued]
        for class_id, sid, attributes, pending_row in candidates:
            if sid not in wanted and not (bulk and sid in rostered):
                continue
            current = dict(attributes or {})
            kept = {k: v for k, v in current.items() if k not in DEMOGRAPHIC_KEYS}
            new = kept | wanted.get(sid, {})
            if new != current:
                if pending_row is not None:
                    pending_row["attributes"] = new
                else:
                    updates.append({"c": class_id, "s": sid, "attrs": new})
                row, user_sid = rows.get(sid, (None, ""))
                if not user_sid:
                    user_sid = sids.get(sid, "")
                changed = tuple(
                    sorted(k for k in set(new) | set(current) if new.get(k) != current.get(k))
                )
                self.change(
                    "demographics.csv",
                    row,
                    user_sid,
                    "updated",
                    self._label(class_id, sid),
                    changed,
                )
        if updates:
            self.s.execute(
                update(table)
                .where(table.c.class_id == bindparam("c"), table.c.student_id == bindparam("s"))
                .values(attributes=bindparam("attrs")),
                updates,
            )

    def run(self) -> SyncResult:
        self.orgs()
        self.users_()
        self.classes_()
        self.enrolments()
        self.demographics()
        self._insert_pending()
        self.s.expire_all()  # rows written with Core: the session's objects reload
        return self.result


def sync(session: Session, roster: Roster) -> SyncResult:
    """Apply the roster to the stored records (inside the caller's write transaction)."""
    return _Sync(session, roster).run()
