"""Bring a database to the latest schema with the Alembic migrations."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import ProgrammingError, SQLAlchemyError

from order_service.adapters.sql.errors import MigrationNotPermitted, SchemaOutOfDate


def migrations_directory() -> Path:
    """The migrations folder: inside the installed wheel, or at the repository's top."""
    packaged = Path(str(resources.files("order_service"))) / "migrations"
    if (packaged / "env.py").is_file():
        return packaged
    in_repository = Path(__file__).resolve().parents[4] / "migrations"
    if (in_repository / "env.py").is_file():
        return in_repository
    raise FileNotFoundError(
        "cannot find the Alembic migrations; reinstall order-service (pip install .)"
    )


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration aimed at `database_url`."""
    config = Config()
    config.set_main_option("script_location", str(migrations_directory()))
    config.attributes["database_url"] = database_url
    return config


# PostgreSQL's SQLSTATE for "permission denied" (insufficient_privilege).
INSUFFICIENT_PRIVILEGE = "42501"


def upgrade_to_head(database_url: str) -> None:
    """Apply every migration the database does not have yet."""
    try:
        command.upgrade(alembic_config(database_url), "head")
    except ProgrammingError as error:
        if getattr(error.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
            raise
        raise MigrationNotPermitted(str(error.orig).strip().splitlines()[0]) from error


def head_revision() -> str:
    """The newest migration's revision id."""
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_schema_at_head(engine: Engine) -> None:
    """Refuse to serve a database whose schema is not the one this code expects."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"the database schema is at {current or 'nothing (empty database)'} but this "
            f"version of order-service needs {head}: run `order-service migrate` "
            "(`order-service serve` does it for you)"
        )


def database_is_reachable(engine: Engine) -> bool:
    """Whether a trivial query on the database succeeds."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
