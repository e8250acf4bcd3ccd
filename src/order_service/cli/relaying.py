"""`relay-events`: publish every stored event to NATS JetStream, in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from typing import Protocol
from urllib.parse import urlsplit

from order_service.adapters.sql.engine import database_url
from order_service.application.views import StoredEventView
from order_service.bootstrap import bootstrap
from order_service.cli.errors import fail
from order_service.settings import Settings, get_settings


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `relay-events`."""
    relay = commands.add_parser(
        "relay-events",
        help="publish every stored event to NATS JetStream (ORDER_SERVICE_NATS_URL) until "
        "stopped; with other relays running, one publishes and the rest stand by",
    )
    relay.add_argument(
        "--from-start", action="store_true",
        help="publish every event again, from position 1, into the stream (to refill a "
        "purged one); takes the lease from whichever relay holds it, then relays on")
    relay.set_defaults(run=_relay)


class Progress:
    """The command's relay observer: one line on stderr per acknowledged batch."""

    def __init__(self) -> None:
        self.count = 0

    def published(self, events: Sequence[StoredEventView], position: int) -> None:
        """Say how far the relay got."""
        self.count += len(events)
        print(f"published {len(events)} events up to position {position} "
              f"({self.count} since start)", file=sys.stderr, flush=True)

    def rewound(self, checkpoint: int, position: int) -> None:
        """Nothing to add: the relay's own warning says what happened."""


def _relay(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.nats_url:
        return fail("set ORDER_SERVICE_NATS_URL (e.g. nats://127.0.0.1:4222) to relay events")
    progress = Progress()
    with bootstrap(settings, pool_size=2) as service:
        try:
            service.require_schema()
            logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                                format="%(asctime)s %(levelname)s %(message)s")
            _announce(settings, settings.nats_url)
            asyncio.run(until_stopped(service.relay(progress, from_start=args.from_start)))
        except (KeyboardInterrupt, asyncio.CancelledError):
            print(f"relay stopped; published {progress.count} events", file=sys.stderr)
    return 0


def _announce(settings: Settings, nats_url: str) -> None:
    print(f"relaying the events of "
          f"{database_url(settings.database_url).render_as_string(hide_password=True)} "
          f"to JetStream stream {settings.nats_stream} ({settings.nats_subject_prefix}.*) "
          f"on {without_credentials(nats_url)}; Ctrl-C stops",
          file=sys.stderr, flush=True)


class Follower(Protocol):
    """A follower of the event store that runs until cancelled (the relay, the emails)."""

    async def run(self) -> None:
        """Follow until cancelled."""
        ...


async def until_stopped(relay: Follower) -> None:
    """Run `relay` until Ctrl-C or SIGTERM."""
    # Ctrl-C and SIGTERM (docker stop, systemd) stop it alike: the lease is given up at
    # once. SIGINT is handled explicitly too: a process started with SIGINT ignored (as a
    # non-interactive shell starts `cmd &`, and so may CI or a supervisor) inherits that,
    # Python then leaves it ignored, and Ctrl-C would never stop the relay.
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    await relay.run()


def without_credentials(servers: str) -> str:
    """Server URLs as they may be shown: without user names or passwords."""
    shown = []
    for server in filter(None, (part.strip() for part in servers.split(","))):
        address = urlsplit(server)
        shown.append(address._replace(netloc=address.netloc.rpartition("@")[2]).geturl())
    return ",".join(shown)
