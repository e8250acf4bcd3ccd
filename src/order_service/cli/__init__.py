"""The order-service command: serve, migrate, grants, api-key, export, rebuild, purge."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from order_service import __version__
from order_service.cli import (
    emailing,
    expiry,
    exporting,
    grants,
    keys,
    maintenance,
    relaying,
    serve,
)
from order_service.cli.errors import EXPLAINED, explain, fail


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    args = _parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    except EXPLAINED as error:
        return fail(explain(error))
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="order-service",
        description="Event-sourced order management for online shops. Settings come from "
        "ORDER_SERVICE_* environment variables (see README).",
    )
    parser.add_argument("--version", action="version", version=f"order-service {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (serve, grants, keys, exporting, maintenance, expiry, relaying, emailing):
        group.add_commands(commands)
    return parser


if __name__ == "__main__":
    sys.exit(main())
