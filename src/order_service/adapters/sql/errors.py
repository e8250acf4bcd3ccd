"""The SQL adapter's exceptions, and what each database failure means to the application."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from order_service.application.errors import ConcurrencyConflict, StorageUnavailable


@contextmanager
def translated_failures() -> Iterator[None]:
    """Database failures as the application understands them."""
    try:
        yield
    except DBAPIError as error:
        if is_retryable(error):
            raise ConcurrencyConflict.aborted(str(error.orig)) from error
        if isinstance(error, OperationalError) or error.connection_invalidated:
            raise StorageUnavailable(_first_line(error)) from error
        raise
    except PoolTimeout as error:
        raise StorageUnavailable("no database connection became free in time") from error


def _first_line(error: DBAPIError) -> str:
    lines = str(error.orig).strip().splitlines()
    return lines[0] if lines else type(error.orig).__name__


# SQLSTATEs that mean "run the transaction again": PostgreSQL chose this transaction as
# a deadlock victim, or could not serialise it.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def is_unique_violation(error: IntegrityError) -> bool:
    """Whether the database refused a row because its key already exists."""
    original = error.orig
    if getattr(original, "sqlstate", None) == "23505":
        return True
    name = getattr(original, "sqlite_errorname", "")
    return name in {"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}


def is_retryable(error: DBAPIError) -> bool:
    """Whether the database aborted the transaction only because of another one."""
    return getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


class UnsupportedDatabase(ValueError):
    """The URL names a database this service does not run on."""


class SchemaOutOfDate(RuntimeError):
    """The database needs migrating before the service can use it."""


class MigrationNotPermitted(RuntimeError):
    """The role migrating may not change the schema (a service role, not the owner)."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"the database refused to change the schema ({reason}): migrate as the role "
            "that owns the tables, set in ORDER_SERVICE_MIGRATION_DATABASE_URL (see README, "
            "Least privilege)"
        )
