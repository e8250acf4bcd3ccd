"""The commands' own exception, and failing with a one-line explanation of any error."""

from __future__ import annotations

import sys

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from order_service.adapters.sql.errors import (
    MigrationNotPermitted,
    SchemaOutOfDate,
    UnsupportedDatabase,
)
from order_service.application.errors import KeyNameTaken, UnknownKeyName
from order_service.settings import PlaceholderSecret

# Errors a user can fix: reported in one line with the fix, exit status 2.
EXPLAINED = (ValidationError, UnsupportedDatabase, SchemaOutOfDate, MigrationNotPermitted,
             OSError, OperationalError, KeyNameTaken, UnknownKeyName, PlaceholderSecret)


def explain(error: Exception) -> str:
    """What went wrong and what to do about it, in one line."""
    match error:
        case ValidationError():
            return _settings_problem(error)
        case UnsupportedDatabase():
            return f"{error}; set ORDER_SERVICE_DATABASE_URL"
        case OperationalError():
            return (f"cannot use the database: {str(error.orig).strip().splitlines()[0]}; "
                    "check ORDER_SERVICE_DATABASE_URL and that the database server is running")
        case OSError():
            return (f"cannot write {error.filename or 'the output'}: {error.strerror}; "
                    "choose a path in an existing, writable directory")
        case _:
            return str(error)


def fail(message: str) -> int:
    """Print `message` as the command's error and return exit status 2."""
    print(f"order-service: {message}", file=sys.stderr)
    return 2


def _settings_problem(error: ValidationError) -> str:
    # A check across settings (loc empty) names its variables in its own message.
    problems = [
        (f"ORDER_SERVICE_{'_'.join(str(p) for p in e['loc']).upper()}: " if e["loc"] else "")
        + e["msg"].removeprefix("Value error, ")
        for e in error.errors()
    ]
    return "invalid setting " + "; ".join(problems)


class ReaderGone(Exception):
    """The reader of standard output closed it before the export was written."""
