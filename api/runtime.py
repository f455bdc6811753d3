"""Everything one service process shares between requests, built once by create_app.

Held on `app.state.runtime`; request handlers reach it through `deps.RuntimeDep`, and
background jobs and the CLI build their own with `Runtime.create`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from anyio import CapacityLimiter
from sqlalchemy import Engine
from sqlmodel import Session

from api.db import make_engine, new_session
from api.jobs import JobRunner
from api.security import Passwords, TokenVerifier
from api.services import lti_keys
from api.services.cache import CatalogCache
from api.services.login_gate import PasswordCheckGate
from api.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    passwords: Passwords
    signing_key: str
    tokens: TokenVerifier
    cache: CatalogCache
    jobs: JobRunner

    @classmethod
    def create(cls, settings: Settings, engine: Engine | None = None) -> Runtime:
        if engine is None:
            from api.storage import check_data_dir

            check_data_dir(settings)  # a read-only data dir: one clear error naming it
            engine = make_engine(settings)
        key = settings.signing_key()
        # The LTI private keys in this database are sealed under the settings' KEK.
        lti_keys.use_key_encryption_key(engine, settings.sealing_key)
        return cls(
            settings=settings,
            engine=engine,
            passwords=Passwords(settings),
            signing_key=key,
            tokens=TokenVerifier(key),
            cache=CatalogCache(stuck_attempts=settings.stuck_attempts),
            jobs=JobRunner(engine),
        )

    @cached_property
    def practice_limiter(self) -> CapacityLimiter:
        """Threads for the practice routes (created on first use, inside the event loop)."""
        return CapacityLimiter(self.settings.practice_thread_count)

    @cached_property
    def login_gate(self) -> PasswordCheckGate:
        """The bound on password checks running at once in this process."""
        s = self.settings
        return PasswordCheckGate(
            s.login_max_concurrent_checks, s.login_max_queued_checks, s.login_queue_timeout_seconds
        )

    @property
    def token_ttl(self) -> timedelta:
        return timedelta(minutes=self.settings.token_ttl_minutes)

    def session(self) -> Session:
        return new_session(self.engine)
