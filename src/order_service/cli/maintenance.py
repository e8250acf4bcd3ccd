"""Maintenance: `rebuild-projections` and `purge-idempotency-keys`."""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from order_service.bootstrap import bootstrap
from order_service.cli.errors import fail
from order_service.projections.rebuild import (
    UnknownEvents,
    count_events,
    rebuild_projections,
)
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
    with bootstrap(get_settings(), pool_size=1) as service:
        service.require_schema()
        try:
            with tqdm(total=count_events(service.engine), unit="event", desc="replaying",
                      file=sys.stderr) as bar:

                def advance(events: int) -> None:
                    bar.update(events)

                report = rebuild_projections(service.engine, progress=advance)
        except UnknownEvents as error:
            return fail(str(error))
    print(f"rebuilt read models from {report.events} events: {report.orders} orders, "
          f"{report.products} products", file=sys.stderr)
    return 0


def _purge(_args: argparse.Namespace) -> int:
    with bootstrap(get_settings(), pool_size=1) as service:
        service.require_schema()
        removed = service.purge_idempotency_keys()
    print(f"purged {removed} idempotency keys older than {service.idempotency_ttl}",
          file=sys.stderr)
    return 0
