"""Fresh databases on demand, for tests that need more than the one a test gets.

Copies of the session's migrated template, made the way the root conftest makes one per
test: a copied file on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

RELEASED_BEFORE_DROPPING = 10


@dataclass
class Databases:
    """Fresh copies of the session's migrated template of `backend`."""

    backend: str
    request: pytest.FixtureRequest
    directory: Path
    _admin: Engine | None = None
    _released: list[str] = field(default_factory=list)

    def create(self) -> str:
        """A URL to a new, migrated, empty database."""
        if self.backend == "sqlite":
            template: Path = self.request.getfixturevalue("sqlite_template")
            path = self.directory / f"fresh-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}"
        admin_url, template_name = self._postgres()
        name = f"os_fresh_{uuid.uuid4().hex[:12]}"
        with self._admin_engine(admin_url).connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
        return admin_url.set(database=name).render_as_string(hide_password=False)

    def release(self, url: str) -> None:
        """Done with a database made by `create`; it is dropped soon."""
        if self.backend == "sqlite":
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            return
        # Dropping in batches is quicker than one at a time, and still keeps the server
        # from filling up while hypothesis shrinks a failure through hundreds of examples.
        self._released.append(url.rsplit("/", 1)[-1])
        if len(self._released) >= RELEASED_BEFORE_DROPPING:
            self._drop_released()

    def close(self) -> None:
        """Drop the released databases and the administrative connection."""
        if self._admin is not None:
            self._drop_released()
            self._admin.dispose()

    def _drop_released(self) -> None:
        assert self._admin is not None
        with self._admin.connect() as connection:
            for name in self._released:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._released.clear()

    def _postgres(self) -> tuple[URL, str]:
        admin_url, template_name = self.request.getfixturevalue("postgres_template")
        return admin_url, template_name

    def _admin_engine(self, admin_url: URL) -> Engine:
        if self._admin is None:
            self._admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        return self._admin
