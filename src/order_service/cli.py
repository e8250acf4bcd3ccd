"""The order-service command: serve, migrate, rebuild-projections."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import uvicorn
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from tqdm import tqdm

from order_service import __version__, export
from order_service.application import queries
from order_service.application.access import KeyNameTaken, Role, UnknownKeyName
from order_service.application.views import OrderFilter, OrderView
from order_service.domain.values import OrderStatus
from order_service.eventstore.api_keys import SqlApiKeys
from order_service.eventstore.engine import UnsupportedDatabase, database_url, make_engine
from order_service.eventstore.idempotency import purge_expired_keys
from order_service.logs import log_config
from order_service.projections.rebuild import count_events, rebuild_projections
from order_service.schema import SchemaOutOfDate, require_schema_at_head, upgrade_to_head
from order_service.settings import Settings, get_settings
from order_service.storage import SqlStorage

FIRST_KEY_NAME = "first-merchant-key"
FIRST_KEY_BANNER = """
order-service: this store had no API key, so it made a merchant key for you.
It is shown only this once; keep it somewhere safe:

    {key}

Send it as "Authorization: Bearer <key>" (the Authorize button in /docs takes it).
More keys: order-service api-key create --role merchant|storefront --name NAME
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    except (ValidationError, UnsupportedDatabase, SchemaOutOfDate, OSError,
            OperationalError, KeyNameTaken, UnknownKeyName) as error:
        return _fail(_explain(error))
    return status


def _explain(error: Exception) -> str:
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


def _fail(message: str) -> int:
    print(f"order-service: {message}", file=sys.stderr)
    return 2


def _settings_problem(error: ValidationError) -> str:
    problems = [
        f"ORDER_SERVICE_{'_'.join(str(p) for p in e['loc']).upper()}: "
        f"{e['msg'].removeprefix('Value error, ')}"
        for e in error.errors()
    ]
    return "invalid setting " + "; ".join(problems)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="order-service",
        description="Event-sourced order management for online shops. Settings come from "
        "ORDER_SERVICE_* environment variables (see README).",
    )
    parser.add_argument("--version", action="version", version=f"order-service {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="migrate the database, then serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="bring the database schema to the latest")
    migrate.set_defaults(run=_migrate)

    rebuild = commands.add_parser(
        "rebuild-projections", help="replay every event into fresh read models and swap them in"
    )
    rebuild.set_defaults(run=_rebuild)

    exporting = commands.add_parser(
        "export", help="write the order history to a file (CSV, NDJSON or JSON), streamed")
    exporting.add_argument("--format", choices=export.FORMATS, default="ndjson",
                           help="file format (default ndjson)")
    exporting.add_argument("--out", required=True, type=Path,
                           help="file to write; '-' writes to standard output")
    exporting.add_argument("--status", action="append", choices=[s.value for s in OrderStatus],
                           help="only orders in this status (repeat for several)")
    exporting.add_argument("--placed-from", type=_moment, metavar="ISO8601",
                           help="only orders placed at or after (UTC if no zone)")
    exporting.add_argument("--placed-to", type=_moment, metavar="ISO8601",
                           help="only orders placed before (UTC if no zone)")
    exporting.add_argument("--updated-since", type=_moment, metavar="ISO8601",
                           help="only orders changed at or after (UTC if no zone)")
    exporting.set_defaults(run=_export)

    keys = commands.add_parser("api-key", help="create, list or revoke API keys")
    key_commands = keys.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    create = key_commands.add_parser(
        "create", help="make a key and print it (alone, on standard output) once")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", required=True, type=_key_name,
                        help="a name to list and revoke it by, e.g. storefront-eu")
    create.set_defaults(run=_create_key)
    listing = key_commands.add_parser("list", help="names, roles, created, last used")
    listing.set_defaults(run=_list_keys)
    revoke = key_commands.add_parser("revoke", help="stop a key working, at once, everywhere")
    revoke.add_argument("name")
    revoke.set_defaults(run=_revoke_key)

    purge = commands.add_parser(
        "purge-idempotency-keys",
        help="forget Idempotency-Keys older than ORDER_SERVICE_IDEMPOTENCY_KEY_TTL_SECONDS "
        "(the server also does this every 10 minutes)",
    )
    purge.set_defaults(run=_purge)
    return parser


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


def _rebuild(_args: argparse.Namespace) -> int:
    engine = make_engine(get_settings().database_url, pool_size=1)
    try:
        require_schema_at_head(engine)
        with tqdm(total=count_events(engine), unit="event", desc="replaying",
                  file=sys.stderr) as bar:

            def advance(events: int) -> None:
                bar.update(events)

            report = rebuild_projections(engine, progress=advance)
    finally:
        engine.dispose()
    print(f"rebuilt read models from {report.events} events: {report.orders} orders, "
          f"{report.products} products", file=sys.stderr)
    return 0


def _key_name(text: str) -> str:
    name = text.strip()
    if not (0 < len(name) <= 100 and name.isprintable()):
        raise argparse.ArgumentTypeError("a key name is 1 to 100 printable characters")
    return name


def _api_keys(settings: Settings) -> tuple[Engine, SqlApiKeys]:
    engine = make_engine(settings.database_url, pool_size=1)
    require_schema_at_head(engine)
    return engine, SqlApiKeys(engine, lambda: datetime.now(UTC))


def _create_key(args: argparse.Namespace) -> int:
    engine, keys = _api_keys(get_settings())
    try:
        token, info = keys.create(args.name, Role(args.role))
    finally:
        engine.dispose()
    # The key alone on standard output, so `KEY=$(order-service api-key create ...)` works.
    print(token)
    print(f"created {info.role.value} key {info.name!r}; it is shown only now, "
          "store it safely", file=sys.stderr)
    return 0


def _list_keys(_args: argparse.Namespace) -> int:
    engine, keys = _api_keys(get_settings())
    try:
        rows = keys.list()
    finally:
        engine.dispose()
    print(f"{'NAME':<24} {'ROLE':<10} {'KEY':<14} {'CREATED':<20} {'LAST USED':<20} STATE")
    for key in rows:
        state = "revoked " + _when(key.revoked_at) if key.revoked_at else "active"
        print(f"{key.name:<24} {key.role.value:<10} {key.shown_prefix + '...':<14} "
              f"{_when(key.created_at):<20} {_when(key.last_used_at) or 'never':<20} {state}")
    return 0


def _revoke_key(args: argparse.Namespace) -> int:
    engine, keys = _api_keys(get_settings())
    try:
        info = keys.revoke(args.name)
    finally:
        engine.dispose()
    print(f"revoked {info.role.value} key {info.name!r}; it is refused from now on",
          file=sys.stderr)
    return 0


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def ensure_a_first_key(settings: Settings) -> str | None:
    """On a store that never had a key, make a first merchant key; None otherwise."""
    engine, keys = _api_keys(settings)
    try:
        if keys.list():
            return None
        token, _ = keys.create(FIRST_KEY_NAME, Role.MERCHANT)
    finally:
        engine.dispose()
    return token


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time, e.g. 2026-11-01 or 2026-11-01T09:30:00+01:00"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _export(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url, pool_size=2)
    where = OrderFilter(
        statuses=frozenset(OrderStatus(s) for s in args.status or []),
        placed_from=args.placed_from, placed_to=args.placed_to,
        updated_since=args.updated_since,
    )
    try:
        require_schema_at_head(engine)
        storage = SqlStorage(engine, lambda: datetime.now(UTC))
        total = queries.count_orders(storage, where)
        with tqdm(total=total, unit="order", desc="exporting", file=sys.stderr) as bar:
            orders = _counted(queries.export_all(storage, where), bar)
            chunks = export.in_chunks(export.write(args.format, orders))
            written = _write_atomically(args.out, chunks)
    finally:
        engine.dispose()
    print(f"exported {bar.n} orders ({written} bytes) to {args.out}", file=sys.stderr)
    return 0


def _counted(orders: Iterator[OrderView], bar: tqdm[Any]) -> Iterator[OrderView]:
    # Updating the bar per order would cost more than writing the order.
    pending = 0
    for order in orders:
        yield order
        pending += 1
        if pending == 1000:
            bar.update(pending)
            pending = 0
    bar.update(pending)


def _write_atomically(target: Path, chunks: Iterator[bytes]) -> int:
    """Write to a temporary file beside `target`, then rename: no half file on failure.

    Standard output (`-`) and what is not a regular file (/dev/null, a named pipe) are
    written directly: renaming over them would replace a device with a file.
    """
    if str(target) == "-":
        return _write_to_stdout(chunks)
    if target.exists() and not target.is_file():
        with target.open("wb") as stream:
            return _write_all(stream, chunks)
    # A name of its own, so two exports to one file never share a temporary file.
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        with partial.open("wb") as file:
            written = _write_all(file, chunks)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return written


def _write_to_stdout(chunks: Iterator[bytes]) -> int:
    try:
        written = _write_all(sys.stdout.buffer, chunks)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        # The reader (e.g. `head`) has what it wanted; stop quietly, as cat would.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return written


def _write_all(stream: BinaryIO, chunks: Iterator[bytes]) -> int:
    written = 0
    for chunk in chunks:
        stream.write(chunk)
        written += len(chunk)
    return written


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


if __name__ == "__main__":
    sys.exit(main())
