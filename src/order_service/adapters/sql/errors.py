"""Database failures, as the application understands them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from order_service.adapters.sql.engine import is_retryable
from order_service.application.ports import ConcurrencyConflict, StorageUnavailable


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
