"""OneRoster 1.1 CSV rosters for tests: a small school written as the files' bytes."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

ORG_HEADER = [
    "sourcedId",
    "status",
    "dateLastModified",
    "name",
    "type",
    "identifier",
    "parentSourcedId",
]
USER_HEADER = [
    "sourcedId",
    "status",
    "dateLastModified",
    "enabledUser",
    "orgSourcedIds",
    "role",
    "username",
    "userIds",
    "givenName",
    "familyName",
    "middleName",
    "identifier",
    "email",
    "sms",
    "phone",
    "agentSourcedIds",
    "grades",
    "password",
]
CLASS_HEADER = [
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "grades",
    "courseSourcedId",
    "classCode",
    "classType",
    "location",
    "schoolSourcedId",
    "termSourcedIds",
    "subjects",
    "subjectCodes",
    "periods",
]
ENROL_HEADER = [
    "sourcedId",
    "status",
    "dateLastModified",
    "classSourcedId",
    "schoolSourcedId",
    "userSourcedId",
    "role",
    "primary",
    "beginDate",
    "endDate",
]
DEMO_HEADER = [
    "sourcedId",
    "status",
    "dateLastModified",
    "birthDate",
    "sex",
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
    "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
    "countryOfBirthCode",
    "stateOfBirthAbbreviation",
    "cityOfBirth",
    "publicSchoolResidenceStatus",
]


def table(header: list[str], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()


@dataclass
class RosterBuilder:
    """A roster as rows; `files()` gives {name: bytes}, `zip()` an archive of them."""

    mode: str = "bulk"
    orgs: list[dict[str, str]] = field(default_factory=list)
    users: list[dict[str, str]] = field(default_factory=list)
    classes: list[dict[str, str]] = field(default_factory=list)
    enrolments: list[dict[str, str]] = field(default_factory=list)
    demographics: list[dict[str, str]] | None = None

    def org(self, sid: str, name: str, **extra: str) -> RosterBuilder:
        self.orgs.append({"sourcedId": sid, "name": name, "type": "school"} | extra)
        return self

    def user(self, sid: str, username: str, role: str = "student", **extra: str) -> RosterBuilder:
        given, _, family = (extra.pop("name", "") or username.title()).partition(" ")
        self.users.append(
            {
                "sourcedId": sid,
                "username": username,
                "role": role,
                "enabledUser": "true",
                "givenName": given,
                "familyName": family,
                "orgSourcedIds": "o1",
            }
            | extra
        )
        return self

    def klass(self, sid: str, title: str, school: str = "o1", **extra: str) -> RosterBuilder:
        self.classes.append({"sourcedId": sid, "title": title, "schoolSourcedId": school} | extra)
        return self

    def enrol(
        self, sid: str, class_sid: str, user_sid: str, role: str = "student", **extra: str
    ) -> RosterBuilder:
        self.enrolments.append(
            {
                "sourcedId": sid,
                "classSourcedId": class_sid,
                "userSourcedId": user_sid,
                "role": role,
                "schoolSourcedId": "o1",
            }
            | extra
        )
        return self

    def demographic(self, user_sid: str, **values: str) -> RosterBuilder:
        if self.demographics is None:
            self.demographics = []
        self.demographics.append({"sourcedId": user_sid} | values)
        return self

    def files(self) -> dict[str, bytes]:
        demo = "absent" if self.demographics is None else self.mode
        manifest = [
            ("manifest.version", "1.0"),
            ("oneroster.version", "1.1"),
            ("file.orgs", self.mode),
            ("file.users", self.mode),
            ("file.classes", self.mode),
            ("file.enrollments", self.mode),
            ("file.demographics", demo),
            ("file.courses", "absent"),
        ]
        files = {
            "manifest.csv": table(
                ["propertyName", "value"], [{"propertyName": k, "value": v} for k, v in manifest]
            ),
            "orgs.csv": table(ORG_HEADER, self.orgs),
            "users.csv": table(USER_HEADER, self.users),
            "classes.csv": table(CLASS_HEADER, self.classes),
            "enrollments.csv": table(ENROL_HEADER, self.enrolments),
        }
        if self.demographics is not None:
            files["demographics.csv"] = table(DEMO_HEADER, self.demographics)
        return files

    def zip(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in self.files().items():
                archive.writestr(f"oneroster/{name}", data)
        return buffer.getvalue()


def small_school() -> RosterBuilder:
    """One school, a teacher, three students in two classes, demographics for two."""
    return (
        RosterBuilder()
        .org("o1", "Hill Middle School")
        .user("t1", "ms.rivera", "teacher", name="Ana Rivera")
        .user("s1", "amy.lee", name="Amy Lee")
        .user("s2", "ben.ortiz", name="Ben Ortiz")
        .user("s3", "cal.nguyen", name="Cal Nguyen")
        .user("p1", "lee.parent", "parent", name="Pat Lee")
        .klass("c1", "Math 7", classCode="7A")
        .klass("c2", "Math 7", classCode="7B")
        .enrol("e1", "c1", "t1", "teacher")
        .enrol("e2", "c1", "s1")
        .enrol("e3", "c1", "s2")
        .enrol("e4", "c2", "s3")
        .enrol("e5", "c2", "t1", "teacher")
        .demographic("s1", sex="female", white="true", hispanicOrLatinoEthnicity="false")
        .demographic("s2", sex="male", asian="true", birthDate="2013-04-01")
    )
