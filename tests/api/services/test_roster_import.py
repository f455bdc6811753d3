"""OneRoster import: keyed by sourcedId, all-or-nothing, dry run equals the import."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from api.runtime import Runtime
from api.services.roster_import import run_import
from models.audit import AuditEvent
from models.classes import Classroom, ClassTeacher, Enrolment
from models.roster import RosterImport, RosterUser, School
from models.users import Role, User
from tests.utils import factories as f
from tests.utils.roster import RosterBuilder, small_school


def _world(engine: Engine) -> dict[str, Any]:
    """Everything an import may touch, as comparable values."""
    with Session(engine) as s:
        return {
            "users": sorted(
                (u.username, u.full_name, str(u.role), u.is_active)
                for u in s.execute(select(User)).scalars()
            ),
            "classes": sorted(c.name for c in s.execute(select(Classroom)).scalars()),
            "schools": sorted((x.sourced_id, x.name) for x in s.execute(select(School)).scalars()),
            "enrolments": sorted(
                (e.class_id, e.student_id, tuple(sorted(e.attributes.items())))
                for e in s.execute(select(Enrolment)).scalars()
            ),
            "teachers": sorted(
                s.exec(select(ClassTeacher.class_id, ClassTeacher.teacher_id)).all()
            ),
        }


def _attributes(session: Session, username: str) -> list[dict[str, str]]:
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    rows = session.execute(select(Enrolment).where(Enrolment.student_id == user.id)).scalars()
    return [dict(e.attributes) for e in rows]


def test_import_creates_the_school_and_a_reimport_changes_nothing(
    session: Session, engine: Engine
) -> None:
    files = small_school().files()
    first = run_import(session, files, "roster.zip")
    assert first.outcome == "applied", first.report["problems"]
    counts = first.summary["counts"]
    assert counts["users"] == {"created": 4}
    assert counts["classes"] == {"created": 2}
    assert counts["enrollments"] == {"added": 5}
    assert first.summary["skipped"] == {"users with role parent": 1}
    world = _world(engine)
    assert world["classes"] == ["Math 7 (7A)", "Math 7 (7B)"]
    assert ("amy.lee", "Amy Lee", "student", True) in world["users"]
    assert not any(name == "lee.parent" for name, *_ in world["users"])
    assert _attributes(session, "amy.lee") == [
        {"sex": "female", "white": "true", "hispanicOrLatino": "false"}
    ]
    assert _attributes(session, "ben.ortiz") == [{"sex": "male", "asian": "true"}]  # no birth date

    again = run_import(session, files, "roster.zip")
    assert again.outcome == "applied"
    assert again.summary["changes"] == 0 and again.report["changes"] == []
    assert _world(engine) == world
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(RosterUser)).scalar_one() == 4


def test_reimport_updates_by_sourced_id_and_deactivates_tobedeleted(
    session: Session, engine: Engine
) -> None:
    run_import(session, small_school().files(), "first")
    changed = small_school()
    changed.users[1] |= {"username": "amy.lee-smith", "familyName": "Lee-Smith"}
    changed.users[2] |= {"status": "tobedeleted"}
    changed.classes[0] |= {"title": "Pre-Algebra"}
    changed.enrolments[2] |= {"status": "tobedeleted"}  # ben leaves 7A
    run = run_import(session, changed.files(), "second")
    assert run.outcome == "applied", run.report["problems"]
    actions = {(c["file"], c["sourced_id"]): c["action"] for c in run.report["changes"]}
    assert actions[("users.csv", "s1")] == "updated"
    assert actions[("users.csv", "s2")] == "deactivated"
    assert actions[("classes.csv", "c1")] == "updated"
    assert actions[("enrollments.csv", "e3")] == "removed"
    world = _world(engine)
    assert ("amy.lee-smith", "Amy Lee-Smith", "student", True) in world["users"]
    assert ("ben.ortiz", "Ben Ortiz", "student", False) in world["users"]
    assert "Pre-Algebra (7A)" in world["classes"] and len(world["classes"]) == 2
    assert len(world["users"]) == 4  # updated in place, never duplicated


def test_bulk_file_deactivates_and_unenrols_what_it_no_longer_lists(
    session: Session, engine: Engine
) -> None:
    run_import(session, small_school().files(), "first")
    smaller = small_school()
    smaller.users = [u for u in smaller.users if u["sourcedId"] != "s3"]
    smaller.enrolments = [e for e in smaller.enrolments if e["userSourcedId"] != "s3"]
    smaller.demographics = None
    run = run_import(session, smaller.files(), "second")
    assert run.outcome == "applied", run.report["problems"]
    with Session(engine) as s:
        cal = s.execute(select(User).where(User.username == "cal.nguyen")).scalar_one()
        assert not cal.is_active
        assert s.execute(select(Enrolment).where(Enrolment.student_id == cal.id)).first() is None
    # demographics absent this time: the attributes stay as they were
    assert _attributes(session, "amy.lee") == [
        {"sex": "female", "white": "true", "hispanicOrLatino": "false"}
    ]


def test_demographics_keep_attributes_set_by_hand(session: Session) -> None:
    run_import(session, small_school().files(), "first")
    amy = session.execute(select(User).where(User.username == "amy.lee")).scalar_one()
    enrolment = session.execute(
        select(Enrolment).where(Enrolment.student_id == amy.id)
    ).scalar_one()
    from api.services import classes

    classes.enrol(session, enrolment.class_id, amy, dict(enrolment.attributes) | {"ell": "yes"})
    roster = small_school()
    assert roster.demographics is not None
    roster.demographics[0] |= {"white": "false", "sex": ""}
    run = run_import(session, roster.files(), "second")
    assert run.outcome == "applied"
    assert _attributes(session, "amy.lee") == [
        {"ell": "yes", "white": "false", "hispanicOrLatino": "false"}
    ]


def test_dry_run_reports_the_changes_of_the_import_and_makes_none(
    session: Session, engine: Engine
) -> None:
    files = small_school().files()
    before = _world(engine)
    dry = run_import(session, files, "roster.zip", dry_run=True)
    assert dry.outcome == "dry_run"
    assert _world(engine) == before
    applied = run_import(session, files, "roster.zip")
    assert applied.report["changes"] == dry.report["changes"]
    assert applied.summary == dry.summary
    session.commit()  # end the read: the in-memory database has one connection
    with Session(engine) as s:
        outcomes = [r.outcome for r in s.exec(select(RosterImport).order_by(col(RosterImport.id)))]
        audits = [e.action for e in s.execute(select(AuditEvent)).scalars()]
    assert outcomes == ["dry_run", "applied"]
    assert audits == ["roster_import"]  # the dry run changed nothing, so nothing to audit


def test_a_broken_roster_changes_nothing_and_names_every_problem(
    session: Session, engine: Engine
) -> None:
    run_import(session, small_school().files(), "first")
    before = _world(engine)
    broken = small_school()
    broken.users[1] |= {"username": "bad name!"}
    broken.users[2] |= {"status": "gone"}
    broken.users[3] |= {"role": "wizard"}
    broken.classes[1] |= {"schoolSourcedId": "o9"}
    broken.enrolments[1] |= {"classSourcedId": "c9"}
    broken.users.append({"sourcedId": "s9", "username": "new.kid", "role": "student"})
    run = run_import(session, broken.files(), "broken")
    assert run.outcome == "refused"
    texts = [p["text"] for p in run.report["problems"]]
    assert texts == [
        "users.csv row 3, column username: 'bad name!': use at most 64 letters, digits and "
        ". _ @ -, starting with a letter or digit",
        "users.csv row 4, column status: 'gone' is not active or tobedeleted",
        "users.csv row 5, column role: 'wizard' is not one of administrator, aide, guardian, "
        "parent, proctor, relative, student, teacher",
    ]
    assert _world(engine) == before

    # references are checked against the stored roster once the files themselves are fine
    dangling = small_school()
    dangling.classes[1] |= {"schoolSourcedId": "o9"}
    dangling.enrolments[1] |= {"classSourcedId": "c9"}
    dangling.users.append({"sourcedId": "s9", "username": "ms.rivera", "role": "student"})
    run = run_import(session, dangling.files(), "dangling")
    assert run.outcome == "refused"
    assert [p["text"] for p in run.report["problems"]] == [
        "users.csv row 7, column username: 'ms.rivera' is also the username in row 2",
    ]
    dangling.users.pop()
    run = run_import(session, dangling.files(), "dangling")
    assert [p["text"] for p in run.report["problems"]] == [
        "classes.csv row 3, column schoolSourcedId: no org 'o9' in orgs.csv or stored from an "
        "earlier roster",
        "enrollments.csv row 3, column classSourcedId: no class 'c9' in classes.csv or stored "
        "from an earlier roster",
    ]
    assert _world(engine) == before


def test_roster_usernames_never_take_over_existing_accounts(
    session: Session, runtime: Runtime, engine: Engine
) -> None:
    f.make_user(session, runtime, Role.admin, username="amy.lee")
    before = _world(engine)
    run = run_import(session, small_school().files(), "roster")
    assert run.outcome == "refused"
    assert [p["text"] for p in run.report["problems"]] == [
        "users.csv row 3, column username: 'amy.lee' is already the username of another account"
    ]
    assert _world(engine) == before


def test_enrolment_role_must_match_the_account(session: Session, engine: Engine) -> None:
    roster = small_school()
    roster.enrolments[1] |= {"role": "teacher"}  # amy is a student
    run = run_import(session, roster.files(), "roster")
    assert [p["text"] for p in run.report["problems"]] == [
        "enrollments.csv row 3, column role: enrolled as teacher, but 's1' is a student"
    ]


def test_manifest_problems_are_located() -> None:
    from api.services.roster_csv import read_roster

    files = small_school().files()
    files["manifest.csv"] = files["manifest.csv"].replace(
        b"oneroster.version,1.1", b"oneroster.version,1.0"
    )
    del files["classes.csv"]
    problems = [str(p) for p in read_roster(files).problems]
    assert problems == [
        "manifest.csv row 3, column value: oneroster.version is '1.0'; this reads 1.1",
        "manifest.csv row 6, column value: file.classes is bulk "
        "but classes.csv is not in the roster",
    ]
    assert [str(p) for p in read_roster({}).problems] == [
        "manifest.csv: missing: a OneRoster roster starts with its manifest"
    ]


def test_csv_shape_problems_are_located() -> None:
    from api.services.roster_csv import read_roster

    files = RosterBuilder().org("o1", "School").files()
    files["users.csv"] = b"sourcedId,status,role\nu1,,student\n"
    files["orgs.csv"] = files["orgs.csv"] + b"o2,,\n" + b"o1,,,Again,school,,\n"
    files["classes.csv"] = b"\xff\xfe"
    problems = [str(p) for p in read_roster(files).problems]
    assert problems == [
        "orgs.csv row 3: 3 fields where the header has 7",
        "orgs.csv row 4, column sourcedId: 'o1' appears more than once in this file",
        "users.csv row 1, column dateLastModified: required column missing from the header",
        "users.csv row 1, column enabledUser: required column missing from the header",
        "users.csv row 1, column username: required column missing from the header",
        "users.csv row 1, column givenName: required column missing from the header",
        "users.csv row 1, column familyName: required column missing from the header",
        "classes.csv: not UTF-8 text (invalid start byte at byte 0)",
    ]


def test_zip_archives_are_read_by_base_name() -> None:
    from api.services.roster_files import from_zip

    files = from_zip(small_school().zip(), 10_000_000)
    assert sorted(files) == sorted(small_school().files())
    import pytest

    from api.services.errors import Invalid

    with pytest.raises(Invalid, match=r"roster\.zip: not a zip archive"):
        from_zip(b"not a zip", 10_000_000, "roster.zip")
    with pytest.raises(Invalid, match=r"unpacks to more than 100 bytes"):
        from_zip(small_school().zip(), 100)
