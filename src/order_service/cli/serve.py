"""`serve` and `migrate`: bring the schema to head, then answer HTTP."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from order_service.application.access import Role
from order_service.eventstore.api_keys import SqlApiKeys
from order_service.eventstore.engine import database_url, make_engine
from order_service.schema import require_schema_at_head, upgrade_to_head
from order_service.settings import Settings, get_settings

FIRST_KEY_NAME = "first-merchant-key"
FIRST_KEY_BANNER = """
order-service: this store had no API key, so it made a merchant key for you.
It is shown only this once; keep it somewhere safe:

    {key}

Send it as "Authorization: Bearer <key>" (the Authorize button in /docs takes it).
More keys: order-service api-key create --role merchant|storefront --name NAME
"""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `serve` and `migrate`."""
    serve = commands.add_parser("serve", help="migrate the database, then serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.set_defaults(run=_serve)
    migrate = commands.add_parser("migrate", help="bring the database schema to the latest")
    migrate.set_defaults(run=_migrate)


def _migrate(_args: argparse.Namespace) -> int:
    url = get_settings().database_url
    print(f"migrating {database_url(url).render_as_string(hide_password=True)} ...",
          file=sys.stderr)
    upgrade_to_head(url)
    print("database schema is up to date", file=sys.stderr)
    return 0


def _serve(args: argparse.Namespace) -> int:
    if args.workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return 2
    _migrate(args)
    # Imported here: the other commands need no web server, and each pays for its imports.
    import uvicorn  # noqa: PLC0415

    from order_service.logs import log_config  # noqa: PLC0415

    first_key = ensure_a_first_key(get_settings())
    if first_key is not None:
        print(FIRST_KEY_BANNER.format(key=first_key), flush=True)
    uvicorn.run(
        "order_service.api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        log_config=log_config("info"),
    )
    return 0


def ensure_a_first_key(settings: Settings) -> str | None:
    """On a store that never had a key, make a first merchant key; None otherwise."""
    engine = make_engine(settings.database_url, pool_size=1)
    keys = SqlApiKeys(engine, lambda: datetime.now(UTC))
    try:
        require_schema_at_head(engine)
        if keys.list():
            return None
        token, _ = keys.create(FIRST_KEY_NAME, Role.MERCHANT)
    finally:
        engine.dispose()
    return token
