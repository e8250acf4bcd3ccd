"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import TypeDecorator, TypeEngine

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
Position: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")

JsonDocument: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zones and hands back naive values; PostgreSQL hands them back in
    the session's zone. Both become aware UTC datetimes here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"refusing to store a naive timestamp {value!r}; use UTC")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# The SQL function that lower-cases text by Unicode's rules on SQLite (registered on each
# connection by adapters/sql/engine.py): SQLite's own lower() folds ASCII letters only.
FOLD_CASE = "fold_case"


class fold_case(GenericFunction[str]):  # noqa: N801 (SQL functions are lower-case)
    """Text in lower case, by Unicode's rules on both databases (`lower` on PostgreSQL)."""

    type = String()
    inherit_cache = True


@compiles(fold_case)
def _lower(element: fold_case, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(fold_case, "sqlite")
def _folded(element: fold_case, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{FOLD_CASE}({compiler.process(element.clauses, **kw)})"
