"""Reading a OneRoster 1.1 CSV roster into typed records, with every problem located.

Pure: the files come in as bytes by name and nothing touches the database; the
references into what is already stored are checked by `api.services.roster_plan`.
A problem names its file, its row as a spreadsheet shows it (the header is row 1)
and its column. The whole roster is read before anything is judged, so one pass
reports every problem, and an import with any problem changes nothing.

Only what Pathways uses is kept: orgs (schools), students and teachers, classes,
their student and teacher enrolments, and from demographics the fields a school
compares groups by (sex, race and ethnicity flags), which become the enrolments'
subgroup attributes. Birth dates and places are not read (data minimisation).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from models.roster import SOURCED_ID_MAX
from models.users import USERNAME_PATTERN

MANIFEST = "manifest.csv"
FILES = ("orgs.csv", "users.csv", "classes.csv", "enrollments.csv", "demographics.csv")
MODES = ("bulk", "delta", "absent")
STATUSES = ("", "active", "tobedeleted")
ORG_TYPES = ("department", "school", "district", "local", "state", "national")
USER_ROLES = (
    "administrator",
    "aide",
    "guardian",
    "parent",
    "proctor",
    "relative",
    "student",
    "teacher",
)
ENROL_ROLES = (
    "administrator",
    "aide",
    "guardian",
    "parent",
    "proctor",
    "relative",
    "student",
    "teacher",
)
IMPORTED_ROLES = ("student", "teacher")  # others are counted and skipped
GUARDIAN_ROLES = ("guardian", "parent", "relative")
BOOLEANS = {"true": True, "false": False}
NAME_MAX = 200
CLASS_NAME_MAX = 100

COMMON = ("sourcedId", "status", "dateLastModified")
REQUIRED: dict[str, tuple[str, ...]] = {
    "orgs.csv": (*COMMON, "name", "type"),
    "users.csv": (*COMMON, "enabledUser", "role", "username", "givenName", "familyName"),
    "classes.csv": (*COMMON, "title", "schoolSourcedId"),
    "enrollments.csv": (*COMMON, "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
    "demographics.csv": COMMON,
}
# demographics column -> subgroup attribute name (attribute names are at most 32 characters)
DEMOGRAPHICS: dict[str, str] = {
    "sex": "sex",
    "americanIndianOrAlaskaNative": "americanIndianOrAlaskaNative",
    "asian": "asian",
    "blackOrAfricanAmerican": "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander": "pacificIslander",
    "white": "white",
    "demographicRaceTwoOrMoreRaces": "twoOrMoreRaces",
    "hispanicOrLatinoEthnicity": "hispanicOrLatino",
}
SEXES = ("male", "female", "other", "unspecified")


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class Org:
    row: int
    sourced_id: str
    deleted: bool
    name: str
    kind: str
    identifier: str


@dataclass(frozen=True)
class RosterPerson:
    row: int
    sourced_id: str
    deleted: bool
    active: bool
    role: str
    username: str
    full_name: str
    agents: tuple[str, ...]


@dataclass(frozen=True)
class RosterClassRow:
    row: int
    sourced_id: str
    deleted: bool
    name: str
    school: str


@dataclass(frozen=True)
class RosterEnrolmentRow:
    row: int
    sourced_id: str
    deleted: bool
    class_sid: str
    user_sid: str
    role: str


@dataclass(frozen=True)
class Demographic:
    row: int
    user_sid: str
    deleted: bool
    attributes: dict[str, str]


@dataclass
class Roster:
    """A read roster: the manifest's modes and each file's records (empty if absent)."""

    modes: dict[str, str] = field(default_factory=dict)
    orgs: list[Org] = field(default_factory=list)
    users: list[RosterPerson] = field(default_factory=list)
    classes: list[RosterClassRow] = field(default_factory=list)
    enrolments: list[RosterEnrolmentRow] = field(default_factory=list)
    demographics: list[Demographic] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def bulk(self, name: str) -> bool:
        return self.modes.get(name) == "bulk"


class _Rows:
    """The rows of one CSV file as dicts, problems noted against the file."""

    def __init__(self, name: str, data: bytes, problems: list[Problem]) -> None:
        self.name = name
        self.problems = problems
        self.header: list[str] = []
        self.rows: list[tuple[int, dict[str, str]]] = []
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.note(None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
            return
        try:
            records = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            self.note(None, None, f"not readable as CSV ({exc})")
            return
        if not records:
            self.note(1, None, "the file is empty: it needs a header row")
            return
        self.header = [h.strip() for h in records[0]]
        for number, record in enumerate(records[1:], start=2):
            if not any(cell.strip() for cell in record):
                continue  # a blank line
            if len(record) != len(self.header):
                self.note(
                    number,
                    None,
                    f"{len(record)} fields where the header has {len(self.header)}",
                )
                continue
            self.rows.append(
                (number, {h: c.strip() for h, c in zip(self.header, record, strict=True)})
            )

    def note(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(self.name, row, column, message))

    def require(self, columns: tuple[str, ...]) -> bool:
        if not self.header:
            return False  # unreadable or empty: said so already
        missing = [c for c in columns if c not in self.header]
        for column in missing:
            self.note(1, column, "required column missing from the header")
        return not missing

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        return iter(self.rows)


def _sourced_id(rows: _Rows, number: int, value: str, column: str = "sourcedId") -> str:
    if not value:
        rows.note(number, column, "must not be empty")
    elif len(value) > SOURCED_ID_MAX:
        rows.note(number, column, f"longer than {SOURCED_ID_MAX} characters")
    return value


def _common(rows: _Rows, number: int, rec: dict[str, str], seen: set[str]) -> tuple[str, bool]:
    """The row's sourcedId (unique in its file) and whether it is marked tobedeleted."""
    sid = _sourced_id(rows, number, rec["sourcedId"])
    if sid and sid in seen:
        rows.note(number, "sourcedId", f"{sid!r} appears more than once in this file")
    seen.add(sid)
    status = rec["status"].lower()
    if status not in STATUSES:
        rows.note(number, "status", f"{rec['status']!r} is not active or tobedeleted")
    stamp = rec["dateLastModified"]
    if stamp:
        try:
            datetime.fromisoformat(stamp)
        except ValueError:
            rows.note(number, "dateLastModified", f"{stamp!r} is not an ISO 8601 date and time")
    return sid, status == "tobedeleted"


def _choice(
    rows: _Rows, number: int, rec: dict[str, str], column: str, allowed: tuple[str, ...]
) -> str:
    value = rec[column]
    if value not in allowed:
        rows.note(number, column, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def _orgs(rows: _Rows) -> list[Org]:
    seen: set[str] = set()
    out = []
    for number, rec in rows:
        sid, deleted = _common(rows, number, rec, seen)
        name = rec["name"]
        if not name:
            rows.note(number, "name", "must not be empty")
        elif len(name) > NAME_MAX:
            rows.note(number, "name", f"longer than {NAME_MAX} characters")
        kind = _choice(rows, number, rec, "type", ORG_TYPES)
        ident = rec.get("identifier", "")[:255]
        out.append(Org(number, sid, deleted, name, kind, ident))
    return out


def _users(rows: _Rows) -> list[RosterPerson]:
    seen: set[str] = set()
    names: dict[str, int] = {}
    out = []
    for number, rec in rows:
        sid, deleted = _common(rows, number, rec, seen)
        role = _choice(rows, number, rec, "role", USER_ROLES)
        enabled_text = rec["enabledUser"].lower() or "true"
        if enabled_text not in BOOLEANS:
            rows.note(number, "enabledUser", f"{rec['enabledUser']!r} is not true or false")
        username = rec["username"]
        full_name = " ".join(p for p in (rec["givenName"], rec["familyName"]) if p)
        if role in IMPORTED_ROLES:
            if not username:
                rows.note(number, "username", "must not be empty")
            elif not re.match(USERNAME_PATTERN, username):
                rows.note(
                    number,
                    "username",
                    f"{username!r}: use at most 64 letters, digits and . _ @ -, "
                    "starting with a letter or digit",
                )
            elif username.lower() in names:
                rows.note(
                    number,
                    "username",
                    f"{username!r} is also the username in row {names[username.lower()]}",
                )
            else:
                names[username.lower()] = number
            if len(full_name) > NAME_MAX:
                rows.note(
                    number, "givenName", f"the full name is longer than {NAME_MAX} characters"
                )
        agents = tuple(a.strip() for a in rec.get("agentSourcedIds", "").split(",") if a.strip())
        out.append(
            RosterPerson(
                number,
                sid,
                deleted,
                BOOLEANS.get(enabled_text, True) and not deleted,
                role,
                username,
                full_name,
                agents,
            )
        )
    return out


def class_name(title: str, code: str) -> str:
    """The class's name in Pathways: its title, with its class code when it has one
    (rosters are full of classes called "Math 7")."""
    return f"{title} ({code})" if code else title


def _classes(rows: _Rows) -> list[RosterClassRow]:
    seen: set[str] = set()
    names: dict[str, int] = {}
    out = []
    for number, rec in rows:
        sid, deleted = _common(rows, number, rec, seen)
        title = rec["title"]
        name = class_name(title, rec.get("classCode", ""))
        if not title:
            rows.note(number, "title", "must not be empty")
        elif len(name) > CLASS_NAME_MAX:
            rows.note(
                number, "title", f"title and class code are longer than {CLASS_NAME_MAX} characters"
            )
        elif name in names:
            rows.note(
                number,
                "title",
                f"{name!r} is also the name of the class in row {names[name]} "
                "(give them different class codes)",
            )
        else:
            names[name] = number
        school = _sourced_id(rows, number, rec["schoolSourcedId"], "schoolSourcedId")
        out.append(RosterClassRow(number, sid, deleted, name, school))
    return out


def _enrolments(rows: _Rows) -> list[RosterEnrolmentRow]:
    seen: set[str] = set()
    pairs: dict[tuple[str, str], int] = {}
    out = []
    for number, rec in rows:
        sid, deleted = _common(rows, number, rec, seen)
        class_sid = _sourced_id(rows, number, rec["classSourcedId"], "classSourcedId")
        user_sid = _sourced_id(rows, number, rec["userSourcedId"], "userSourcedId")
        role = _choice(rows, number, rec, "role", ENROL_ROLES)
        pair = (class_sid, user_sid)
        if not deleted and pair in pairs:
            rows.note(
                number,
                "userSourcedId",
                f"this user is enrolled in this class again (row {pairs[pair]})",
            )
        elif not deleted:
            pairs[pair] = number
        out.append(RosterEnrolmentRow(number, sid, deleted, class_sid, user_sid, role))
    return out


def _demographics(rows: _Rows) -> list[Demographic]:
    seen: set[str] = set()
    out = []
    for number, rec in rows:
        sid, deleted = _common(rows, number, rec, seen)
        attrs: dict[str, str] = {}
        for column, attr in DEMOGRAPHICS.items():
            value = rec.get(column, "").lower()
            if not value:
                continue
            allowed = SEXES if column == "sex" else tuple(BOOLEANS)
            if value not in allowed:
                rows.note(number, column, f"{rec[column]!r} is not one of {', '.join(allowed)}")
                continue
            attrs[attr] = value
        out.append(Demographic(number, sid, deleted, attrs))
    return out


def _manifest(data: bytes | None, present: set[str], problems: list[Problem]) -> dict[str, str]:
    if data is None:
        problems.append(
            Problem(MANIFEST, None, None, "missing: a OneRoster roster starts with its manifest")
        )
        return {}
    rows = _Rows(MANIFEST, data, problems)
    if not rows.require(("propertyName", "value")):
        return {}
    props = {rec["propertyName"]: (number, rec["value"]) for number, rec in rows}
    version = props.get("oneroster.version")
    if version is None:
        rows.note(None, "propertyName", "no oneroster.version row")
    elif version[1] != "1.1":
        rows.note(version[0], "value", f"oneroster.version is {version[1]!r}; this reads 1.1")
    modes: dict[str, str] = {}
    for name in FILES:
        key = "file." + name.removesuffix(".csv")
        number, mode = props.get(key, (None, "absent"))
        if mode not in MODES:
            rows.note(number, "value", f"{key} is {mode!r}, not one of {', '.join(MODES)}")
            mode = "absent"
        if mode != "absent" and name not in present:
            rows.note(number, "value", f"{key} is {mode} but {name} is not in the roster")
        if mode == "absent" and name in present:
            problems.append(
                Problem(name, None, None, f"present, but the manifest says {key} is absent")
            )
        modes[name] = mode
    return modes


def read_roster(files: Mapping[str, bytes]) -> Roster:
    """Read the roster's files (by base name); `problems` lists everything wrong."""
    problems: list[Problem] = []
    modes = _manifest(files.get(MANIFEST), set(files), problems)
    roster = Roster(modes=modes, problems=problems)
    readers = {
        "orgs.csv": ("orgs", _orgs),
        "users.csv": ("users", _users),
        "classes.csv": ("classes", _classes),
        "enrollments.csv": ("enrolments", _enrolments),
        "demographics.csv": ("demographics", _demographics),
    }
    for name, (attr, reader) in readers.items():
        if modes.get(name, "absent") == "absent" or name not in files:
            continue
        rows = _Rows(name, files[name], problems)
        if rows.require(REQUIRED[name]):
            setattr(roster, attr, reader(rows))
    return roster
