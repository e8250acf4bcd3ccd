"""Alembic environment: one set of migrations for SQLite and PostgreSQL.

The URL comes from the caller (`order-service migrate`, tests) through
`config.attributes["database_url"]`, else from ORDER_SERVICE_MIGRATION_DATABASE_URL (the
owner role's), else from ORDER_SERVICE_DATABASE_URL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from order_service.adapters.sql.engine import make_engine
from order_service.adapters.sql.tables import metadata
from order_service.eventstore import tables as _event_tables  # noqa: F401  (registers it)
from order_service.projections import tables as _read_model_tables  # noqa: F401  (registers them)
from order_service.settings import get_settings

# Several API processes may start at once on one PostgreSQL; only one migrates at a time.
MIGRATION_LOCK_KEY = 0x6D696772  # "migr"


def run_migrations_online() -> None:
    url = context.config.attributes.get("database_url") or get_settings().migration_url()
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            is_postgres = connection.dialect.name == "postgresql"
            if is_postgres:
                connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
                connection.commit()
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            if is_postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
