"""`serve` and `migrate`: bring the schema to head, then answer HTTP."""

from __future__ import annotations

import argparse
import logging
import logging.config
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from order_service.adapters.sql.engine import database_url
from order_service.application.access import Role
from order_service.bootstrap import bootstrap, migrate
from order_service.settings import Settings, get_settings

log = logging.getLogger("order_service.serve")

FIRST_KEY_NAME = "first-merchant-key"
MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
METRICS_DIRECTORY_PREFIX = "order-service-metrics-"
FIRST_KEY_BANNER = """
order-service: this store had no API key, so it made a merchant key for you.
It is shown only this once; keep it somewhere safe:

    {key}

Send it as "Authorization: Bearer <key>" (the Authorize button in /docs takes it),
or paste it to sign in to the back office: http://{address}/admin
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
    settings = get_settings()
    url = database_url(settings.migration_url()).render_as_string(hide_password=True)
    print(f"migrating {url} ...", file=sys.stderr)
    migrate(settings)
    print("database schema is up to date", file=sys.stderr)
    return 0


def _serve(args: argparse.Namespace) -> int:
    if args.workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return 2
    # Imported here: the other commands need no web server, and each pays for its imports.
    import uvicorn  # noqa: PLC0415

    from order_service.observability.logs import log_config  # noqa: PLC0415

    settings = get_settings()
    settings.require_own_cursor_secret()
    logging_config = log_config(settings.log_level, settings.log_format)
    # From the first line on, what `serve` says goes through the log (JSON by default).
    logging.config.dictConfig(logging_config)
    url = database_url(settings.migration_url()).render_as_string(hide_password=True)
    log.info("migrating %s ...", url)
    migrate(settings)
    log.info("database schema is up to date")
    first_key = ensure_a_first_key(settings)
    if first_key is not None:
        # A server listening on every interface is still reached as localhost from here.
        host = "localhost" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
        print(FIRST_KEY_BANNER.format(key=first_key, address=f"{host}:{args.port}"), flush=True)
    signal.signal(signal.SIGTERM, _stopped)
    with worker_metrics_directory():
        uvicorn.run(
            "order_service.api.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            proxy_headers=True,
            log_config=logging_config,
            # RequestLogMiddleware writes the access lines, with routes and request ids.
            access_log=False,
            # On SIGTERM: stop accepting, let requests in flight finish (this long at
            # most), then stop the app's background tasks and close the database.
            timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        )
    return 0


def _stopped(_signal: int, _frame: FrameType | None) -> None:
    # A single uvicorn server, once it has shut down gracefully, raises the signal it
    # stopped on again; by then the stop was orderly, so `serve` exits 0 rather than
    # dying of SIGTERM (with --workers N the supervisor already does). Before uvicorn
    # takes the signal over, this stops `serve` at once, before it serves anything.
    raise SystemExit(0)


@contextmanager
def worker_metrics_directory() -> Iterator[Path]:
    """A fresh, private directory where each worker keeps its metrics while serving.

    prometheus_client reads PROMETHEUS_MULTIPROC_DIR when a worker imports it, and a
    scrape of any worker then sums every worker's files. Counts from an earlier run must
    not leak in, so each `serve` makes its own directory and removes it when it stops.
    """
    _remove_directories_of_dead_servers()
    directory = Path(tempfile.mkdtemp(prefix=f"{METRICS_DIRECTORY_PREFIX}{os.getpid()}-"))
    earlier = os.environ.get(MULTIPROC_DIR_VARIABLE)
    os.environ[MULTIPROC_DIR_VARIABLE] = str(directory)
    try:
        yield directory
    finally:
        if earlier is None:
            os.environ.pop(MULTIPROC_DIR_VARIABLE, None)
        else:
            os.environ[MULTIPROC_DIR_VARIABLE] = earlier
        shutil.rmtree(directory, ignore_errors=True)


def _remove_directories_of_dead_servers() -> None:
    # A `serve` that was killed (SIGKILL, out of memory) could not remove its directory.
    for directory in Path(tempfile.gettempdir()).glob(f"{METRICS_DIRECTORY_PREFIX}*-*"):
        pid = directory.name.removeprefix(METRICS_DIRECTORY_PREFIX).split("-")[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(directory, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's
    return True


def ensure_a_first_key(settings: Settings) -> str | None:
    """On a store that never had a key, make a first merchant key; None otherwise."""
    with bootstrap(settings, pool_size=1) as service:
        service.require_schema()
        if service.api_keys.list():
            return None
        token, _ = service.api_keys.create(FIRST_KEY_NAME, Role.MERCHANT)
    return token
