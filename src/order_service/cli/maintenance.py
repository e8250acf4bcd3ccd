"""Maintenance: `rebuild-projections` and `purge-idempotency-keys`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

from tqdm import tqdm

from order_service.cli.errors import fail
from order_service.eventstore.engine import make_engine
from order_service.eventstore.idempotency import purge_expired_keys
from order_service.projections.rebuild import (
    UnknownEvents,
    count_events,
    rebuild_projections,
)
from order_service.schema import require_schema_at_head
from order_service.settings import get_settings


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `rebuild-projections` and `purge-idempotency-keys`."""
    rebuild = commands.add_parser(
        "rebuild-projections", help="replay every event into fresh read models and swap them in"
    )
    rebuild.set_defaults(run=_rebuild)
    purge = commands.add_parser(
        "purge-idempotency-keys",
        help="forget Idempotency-Keys older than ORDER_SERVICE_IDEMPOTENCY_KEY_TTL_SECONDS "
        "(the server also does this every 10 minutes)",
    )
    purge.set_defaults(run=_purge)


def _rebuild(_args: argparse.Namespace) -> int:
    # Two connections: one reads the next batch of events while the other writes rows.
    engine = make_engine(get_settings().database_url, pool_size=2)
    try:
        require_schema_at_head(engine)
        with tqdm(total=count_events(engine), unit="event", desc="replaying",
                  file=sys.stderr) as bar:

            def advance(events: int) -> None:
                bar.update(events)

            report = rebuild_projections(engine, progress=advance)
    except UnknownEvents as error:
        return fail(str(error))
    finally:
        engine.dispose()
    print(f"rebuilt read models from {report.events} events: {report.orders} orders, "
          f"{report.products} products", file=sys.stderr)
    return 0


def _purge(_args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        require_schema_at_head(engine)
        ttl = timedelta(seconds=settings.idempotency_key_ttl_seconds)
        removed = purge_expired_keys(engine, datetime.now(UTC), ttl)
    finally:
        engine.dispose()
    print(f"purged {removed} idempotency keys older than {ttl}", file=sys.stderr)
    return 0
