"""The service's one settings object, read from the environment (prefix PATHWAYS_).

Bad values stop the process at start-up with a message naming the variable,
instead of surfacing later as a confusing runtime error. The signing secret is
never a constant: it comes from PATHWAYS_SECRET_KEY or from a file generated once
in the data directory with owner-only permissions. The key-encryption key that seals
the LTI tool's private keys in the database (`api.services.key_vault`) works the same
way (PATHWAYS_KEY_ENCRYPTION_KEY, else the file `key_encryption_key`), and is a key of
its own: rotating the signing secret does not make the stored LTI keys unreadable.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.services.key_vault import fernet_of, generate_kek

SECRET_FILE_NAME = "secret_key"
KEK_FILE_NAME = "key_encryption_key"
KEK_VARIABLE = "PATHWAYS_KEY_ENCRYPTION_KEY"
HIDDEN_INPUTS = frozenset({"key_encryption_key"})  # never echoed in a settings error
DB_FILE_NAME = "pathways.db"


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names the environment variable."""


class Settings(BaseSettings):
    """Everything configurable about the service; see the field descriptions."""

    model_config = SettingsConfigDict(env_prefix="PATHWAYS_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        default=Path(".pathways"),
        description="Folder for pathways.db (SQLite) and the generated secret key.",
    )
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "PATHWAYS_DATABASE_URL", "database_url"),
        description="SQLAlchemy URL (default: SQLite in data_dir); postgresql:// uses psycopg 3.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Token signing key (>= 32 chars). Unset: generated once in data_dir.",
    )
    key_encryption_key: SecretStr | None = Field(
        default=None,
        description=(
            "Fernet key (44 characters, Fernet.generate_key()) sealing the LTI tool's "
            "private keys in the database; not the token signing key. Unset: generated "
            "once in data_dir. Every node on one database needs the same one, and losing "
            "it makes the stored LTI keys unreadable."
        ),
    )
    token_ttl_minutes: int = Field(default=8 * 60, ge=1, le=60 * 24 * 30)
    login_max_failures_per_user: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(
        default=100,
        ge=1,
        description=(
            "Failed logins from one address within LOGIN_IP_WINDOW_SECONDS before further "
            "attempts from it wait; far above the per-user limit, because a classroom "
            "shares one address. Accounts that logged in from the address before are exempt."
        ),
    )
    login_window_seconds: int = Field(default=300, ge=1)
    login_ip_window_seconds: int = Field(
        default=60, ge=1, description="The per-address window: its backoff lasts at most this."
    )
    login_known_address_days: int = Field(
        default=30,
        ge=0,
        description=(
            "An account that logged in from an address within this many days is not "
            "held back by that address's failures (only by its own); 0 turns this off."
        ),
    )
    login_max_concurrent_checks: int = Field(
        default=4,
        ge=1,
        le=256,
        description=(
            "Password checks running at once per server process (each holds "
            "ARGON2_MEMORY_KIB of memory while it runs)."
        ),
    )
    login_max_queued_checks: int = Field(
        default=200,
        ge=0,
        description="Logins waiting for a check per process; beyond: 503 with Retry-After.",
    )
    login_queue_timeout_seconds: float = Field(
        default=10.0,
        gt=0.0,
        le=300.0,
        description="Longest a login waits for a free check before a 503 with Retry-After.",
    )
    trusted_proxies: str = Field(
        default="",
        description=(
            "Comma-separated addresses or networks (CIDR) of reverse proxies whose "
            "X-Forwarded-For / X-Forwarded-Proto headers are believed; default none."
        ),
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body for most routes."
    )
    max_import_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, description="Largest content import file."
    )
    frame_ancestors: str = Field(
        default="'none'",
        description=(
            "CSP frame-ancestors sources: who may show the pages in a frame ('none'; "
            "'self'; or e.g. the school LMS's origin for LTI launches)."
        ),
    )
    hsts_max_age_seconds: int = Field(
        default=365 * 24 * 3600,
        ge=0,
        description="Strict-Transport-Security max-age on HTTPS responses (0: no header).",
    )
    timezone: str = Field(
        default="UTC",
        description="The school's IANA time zone (e.g. America/New_York): which calendar day "
        "'today' is for goals, pace and the family summary, and the zone times are shown in.",
    )
    mastery_threshold: float = Field(default=0.95, gt=0.0, lt=1.0)
    stuck_attempts: int = Field(default=10, ge=1)
    max_answer_chars: int = Field(default=200, ge=1)
    sqlite_synchronous: Literal["FULL", "NORMAL", "EXTRA"] = "FULL"
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    db_pool_size: int = Field(default=40, ge=1)
    db_prepared_statements: bool = Field(
        default=True,
        description=(
            "Let psycopg prepare statements it runs often (PostgreSQL). Turn off behind "
            "PgBouncer in transaction mode before 1.21 (Debian 12 ships 1.18): a statement "
            "prepared on one server connection is missing on the next."
        ),
    )
    practice_threads: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description=(
            "Worker threads per server process for the practice routes (answers, next); "
            "unset: 2 on SQLite (one writer at a time: more threads only compete for "
            "the GIL, also with the one holding the write lock), 8 on PostgreSQL "
            "(concurrent writers, commits overlap)."
        ),
    )
    gil_switch_interval_ms: float = Field(
        default=0.5,
        gt=0.0,
        le=100.0,
        description=(
            "Python's thread switch interval for the server process (the interpreter's "
            "default is 5 ms). An answer holds the database write lock across several "
            "calls that release the GIL; at 5 ms each one can wait that long behind a "
            "busy request thread, stretching the lock for every other writer."
        ),
    )
    max_concurrent_requests: int = Field(
        default=64,
        ge=0,
        le=100_000,
        description=(
            "Requests in flight per server process before more get a quick 503 with "
            "Retry-After instead of queueing without bound (0: no bound; /api/health "
            "and static files are not counted)."
        ),
    )
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=64 * 1024, ge=64)
    demo_password: str | None = None
    docs_enabled: bool = True
    # Learning records (xAPI) to a Learning Record Store; see api/services/xapi_outbox.py.
    xapi_endpoint: str | None = Field(
        default=None,
        description="The LRS's xAPI base URL (statements go to ENDPOINT/statements).",
    )
    xapi_username: str | None = Field(default=None, description="LRS basic-auth user.")
    xapi_password: SecretStr | None = Field(default=None, description="LRS basic-auth password.")
    xapi_home_page: str | None = Field(
        default=None,
        description=(
            "This service's public URL: the home page of the students' xAPI accounts and "
            "the base of the item and skill activity ids."
        ),
    )
    xapi_batch_size: int = Field(default=200, ge=1, le=1000)
    xapi_timeout_seconds: float = Field(default=10.0, gt=0.0, le=300.0)
    xapi_poll_seconds: float = Field(
        default=1.0, gt=0.0, le=60.0, description="How often an idle sender looks for new rows."
    )
    xapi_max_backoff_seconds: float = Field(
        default=60.0, gt=0.0, le=3600.0, description="Longest wait between retries."
    )
    xapi_enabled: bool = Field(
        default=False,
        description=(
            "Queue an xAPI statement for every recorded answer and send them to the LRS "
            "(needs XAPI_ENDPOINT, XAPI_USERNAME, XAPI_PASSWORD and XAPI_HOME_PAGE)."
        ),
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(
                f"DATABASE_URL must start with sqlite:// or postgresql://, got scheme {scheme!r}"
            )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: str) -> str:
        hosts = [h.strip() for h in value.split(",") if h.strip()]
        for host in hosts:
            try:
                ipaddress.ip_network(host, strict=False)
            except ValueError:
                raise ValueError(
                    f"PATHWAYS_TRUSTED_PROXIES: {host!r} is not an IP address or network"
                ) from None
        return ",".join(hosts)

    @field_validator("frame_ancestors")
    @classmethod
    def _source_list(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value or any(ch in value for ch in ';,"') or not value.isprintable():
            raise ValueError(
                "PATHWAYS_FRAME_ANCESTORS must be CSP sources separated by spaces, e.g. "
                "'none', 'self' or https://lms.example.edu"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"PATHWAYS_TIMEZONE: unknown time zone {value!r}; use an IANA name such as "
                "America/New_York, America/Sao_Paulo or UTC"
            ) from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @field_validator("xapi_endpoint", "xapi_home_page")
    @classmethod
    def _http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"PATHWAYS_{str(info.field_name).upper()} must be an http:// or https:// URL "
                "with a host"
            )
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(
                f"PATHWAYS_{str(info.field_name).upper()} must have no query, fragment or "
                "credentials (the LRS credentials have settings of their own)"
            )
        return value.rstrip("/")

    @field_validator("xapi_enabled")
    @classmethod
    def _xapi_complete(cls, value: bool, info: ValidationInfo) -> bool:
        """Sending on needs every connection setting: refuse to start, naming the missing."""
        if value:
            missing = [
                f"PATHWAYS_{name.upper()}"
                for name in ("xapi_endpoint", "xapi_username", "xapi_password", "xapi_home_page")
                if not info.data.get(name)
            ]
            if missing:
                raise ValueError(f"xAPI sending is on but {', '.join(missing)} missing or invalid")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise ValueError("PATHWAYS_SECRET_KEY must be at least 32 characters long")
        return value

    @field_validator("key_encryption_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        try:
            fernet_of(value.get_secret_value())
        except ValueError as exc:
            raise ValueError(f"the key-encryption key is {exc}") from None
        return SecretStr(value.get_secret_value().strip())

    @property
    def sqlalchemy_url(self) -> str:
        """The URL handed to SQLAlchemy (psycopg 3 driver for PostgreSQL)."""
        url = self.database_url
        if url is None:
            return f"sqlite:///{(self.data_dir / DB_FILE_NAME).resolve()}"
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def practice_thread_count(self) -> int:
        if self.practice_threads is not None:
            return self.practice_threads
        return 2 if self.is_sqlite else 8

    def signing_key(self) -> str:
        """The token key: the setting, else the data-dir file (created 0600 on first use)."""
        if self.secret_key:
            return self.secret_key
        return _read_or_create_secret(self.data_dir / SECRET_FILE_NAME)

    def sealing_key(self) -> str:
        """The key-encryption key (a Fernet key) for secrets stored in the database: the
        setting, else the data-dir file `key_encryption_key` (created 0600 on first use)."""
        if self.key_encryption_key is not None:
            return self.key_encryption_key.get_secret_value()
        return _read_or_create_secret(
            self.data_dir / KEK_FILE_NAME,
            generate=generate_kek,
            valid=_is_fernet_key,
            problem=(
                f"not a valid Fernet key; restore the file from a backup or set {KEK_VARIABLE} "
                "(a new key cannot open the LTI keys sealed under the old one)"
            ),
        )


def _long_secret(key: str) -> bool:
    return len(key) >= 32


def _is_fernet_key(key: str) -> bool:
    try:
        fernet_of(key)
    except ValueError:
        return False
    return True


def _read_or_create_secret(
    path: Path,
    *,
    generate: Callable[[], str] = lambda: secrets.token_urlsafe(48),
    valid: Callable[[str], bool] = _long_secret,
    problem: str = (
        "secret key file is shorter than 32 characters; delete it or set PATHWAYS_SECRET_KEY"
    ),
) -> str:
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if valid(key):
        return key
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the owner's alone
    key = generate()
    try:
        # O_EXCL: two processes starting at once must not overwrite each other's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        existing = path.read_text().strip()
        if not valid(existing):
            raise SettingsError(f"{path}: {problem}") from None
        return existing
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; raise SettingsError naming each bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "settings"
            var = "DATABASE_URL" if loc == "database_url" else f"PATHWAYS_{loc.upper()}"
            got = "value not shown" if loc in HIDDEN_INPUTS else f"got {err.get('input')!r}"
            lines.append(f"{var}: {err['msg']} ({got})")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None


def apply_process_settings(settings: Settings) -> None:
    """Settings of the whole server process (not of one app): the GIL switch interval."""
    sys.setswitchinterval(settings.gil_switch_interval_ms / 1000.0)
