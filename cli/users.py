"""`pathways users add | list`: accounts in the service database (server may be running).

    pathways users add NAME --role teacher --class "7B" --password-stdin < pw.txt
    pathways users list --json

`--class` makes a teacher teach the class, or enrols a student in it (created if
missing). Without --password-stdin the password is asked for on the terminal.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from cli.runtime import service_runtime

users_app = typer.Typer(help="Service accounts: add and list users.", no_args_is_help=True)

ROLES = ("student", "teacher", "designer", "admin")


@users_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="Username (letters, digits, . _ @ -).")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
    class_name: Annotated[
        str | None, typer.Option("--class", help="Teach (teacher) or join (student) this class.")
    ] = None,
    full_name: Annotated[str, typer.Option("--full-name", help="Display name.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account."""
    from pydantic import ValidationError

    from api.services import classes, users
    from api.services.errors import ServiceError
    from models.users import Role, UserCreate

    if role not in ROLES:
        typer.echo(f"error: --role must be one of {', '.join(ROLES)}, got {role!r}", err=True)
        raise typer.Exit(2)
    if class_name is not None and role not in ("student", "teacher"):
        typer.echo("error: --class applies to students and teachers only", err=True)
        raise typer.Exit(2)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        data = UserCreate(username=name, full_name=full_name, role=Role(role), password=password)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        typer.echo(f"error: {problems}", err=True)
        raise typer.Exit(2) from None
    runtime = service_runtime()
    with runtime.session() as session:
        try:
            user = users.create_user(session, runtime, data)
            where = ""
            if class_name is not None:
                classroom = classes.get_or_create_class(session, class_name)
                assert classroom.id is not None
                if role == "teacher":
                    classes.add_teacher(session, classroom.id, user)
                else:
                    classes.enrol(session, classroom.id, user)
                where = f" in class {class_name!r}"
        except ServiceError as exc:
            typer.echo(f"error: {exc.detail}", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"added {role} {name!r} (id {user.id}){where}")


@users_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="JSON array on stdout.")] = False,
    role: Annotated[str | None, typer.Option("--role", help="Only this role.")] = None,
) -> None:
    """List accounts with their classes."""
    from sqlmodel import select

    from api.services import users
    from models.classes import Classroom, ClassTeacher, Enrolment
    from models.users import Role

    if role is not None and role not in ROLES:
        typer.echo(f"error: --role must be one of {', '.join(ROLES)}, got {role!r}", err=True)
        raise typer.Exit(2)
    runtime = service_runtime()
    with runtime.session() as session:
        names = {c.id: c.name for c in session.exec(select(Classroom))}
        member: dict[int, list[str]] = {}
        for cid, uid in session.exec(select(ClassTeacher.class_id, ClassTeacher.teacher_id)):
            member.setdefault(uid, []).append(names[cid])
        for cid, uid in session.exec(select(Enrolment.class_id, Enrolment.student_id)):
            member.setdefault(uid, []).append(names[cid])
        rows: list[dict[str, Any]] = [
            {
                "id": u.id,
                "username": u.username,
                "full_name": u.full_name,
                "role": str(u.role),
                "active": u.is_active,
                "classes": sorted(member.get(u.id or 0, [])),
            }
            for u in users.list_users(session, Role(role) if role else None)
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        flag = "" if r["active"] else "  (inactive)"
        typer.echo(
            f"{r['id']:>5}  {r['username']:<24} {r['role']:<9} {', '.join(r['classes'])}{flag}"
        )
