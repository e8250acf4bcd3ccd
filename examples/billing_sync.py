"""Copy every order change from order-service into a billing ledger, exactly once.

    export ORDER_SERVICE_API_KEY=$(order-service api-key create --role merchant --name billing)
    python examples/billing_sync.py --url http://127.0.0.1:8000 --state-dir billing/
    python examples/billing_sync.py --url http://127.0.0.1:8000 --state-dir billing/ --once

The service answers only requests that carry an API key; the feed needs a merchant key.
Give it with `--api-key KEY` or, better (a command line is visible to every user of the
machine), in the environment variable ORDER_SERVICE_API_KEY. The script refuses to start
without one. It is sent as `Authorization: Bearer <key>`.

The script follows the event feed (`GET /v1/events?after=<position>&limit=<batch>`), which
lists every stored event in global order and never shows an event below a position a
follower has already passed. For each event of an order that changes its status
(OrderPlaced, OrderPaid, OrderShipped, OrderCancelled) or gives money back (OrderRefunded)
it appends one JSON line to `<state-dir>/ledger.ndjson`:

    {"event_position": 1042, "order_id": "...", "number": 17, "type": "OrderPaid",
     "status": "paid", "total": 11473, "currency": "EUR", "at": "2026-11-03T10:15:02Z"}

`status` is the order's status after that event; `at` is when the change happened.

A refund's line also carries `refund_id`, `amount` (in minor units of `currency`, to book
as money out) and `reason`; its `status` is the order's, which a refund leaves as it was
(a full refund too), and its `at` is when the money was given back:

    {"event_position": 1187, "order_id": "...", "number": 17, "type": "OrderRefunded",
     "status": "shipped", "total": 11473, "currency": "EUR", "at": "2026-11-09T16:20:00Z",
     "refund_id": "<order_id>/4", "amount": 4990, "reason": "Sandals too small"}

`refund_id` is the order's id and the order's version the refund made (as its history
shows it): the same refund always gets the same id, and no two refunds share one, so a
billing system that books ledger lines keyed by it books each refund once even if it
reads the ledger twice. (The ledger itself holds each refund once, as every other line.)

Every other event type the service stores is read and passed over on purpose: a payment
gateway's notification (PaymentNotified) bills nothing by itself (one that paid the order
is followed by its OrderPaid, which gets the line), nor do corrected contact details or
addresses (OrderDetailsCorrected), notes (OrderNoteAdded) or the catalogue (ProductAdded,
ProductRestocked, ProductRenamed, ProductRepriced, ProductRetired, ShippingMethodAdded). A
type this script does not know, which a newer order-service may store, is skipped with
one log line per type naming it, so that a new event type never stops billing; update the
script if that type should be billed.

Exactly once, even after `kill -9` at any instant
-------------------------------------------------
Two files hold the state. `checkpoint.json` is `{"after": P, "ledger_bytes": B}`: every
event up to position P is in the ledger, and those lines are its first B bytes. The order
of writes for each page of events is:

1. write the page's lines at byte B of the ledger and fsync it;
2. write the new checkpoint to a temporary file, fsync it, `os.replace` it over
   `checkpoint.json` and fsync the directory (an atomic, durable switch).

A crash before step 2 completes leaves the old checkpoint, whose B excludes the page's
lines; a crash after it leaves the new one. On start the script truncates the ledger to
the checkpoint's B (dropping lines - even half a line - written after the last
checkpoint) and asks the feed for the events after P again. So every order event is in
the ledger once, never twice, never missing. Progress ("synced up to position P") is
printed only once that position is durable.

The numbers billing needs on every line (receipt number, total, currency) are in
OrderPlaced only; they never change, so the script reads them back from the ledger at
start, with each order's last status for its refund lines (and from `GET
/v1/orders/{id}` for an order the ledger does not know). A lock file keeps a second copy
of the script off the same state directory.

Whoever reads the ledger meanwhile should read only its first `ledger_bytes` bytes (the
rest may still be dropped). Do not edit, rotate or delete the ledger while the checkpoint
exists: a ledger shorter than its checkpoint stops the script with an error.

Errors: no API key, or an unreachable service at start, exits with status 2 and says what
to fix. A key the service refuses (401: unknown or revoked; 403: not a merchant key) is
never retried, at start or later: it exits with status 2 naming the fix. Once the service
has answered, network errors and 5xx/429 answers are retried with backoff (honouring
Retry-After). Any other unexpected answer stops it with status 1 rather than writing a
wrong ledger. SIGINT (Ctrl-C) and SIGTERM stop it with status 130.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import signal
import sys
import time
from collections import ChainMap
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import httpx

JsonObject = dict[str, Any]

LEDGER = "ledger.ndjson"
CHECKPOINT = "checkpoint.json"
LOCK = "billing_sync.lock"
ORDER_STREAM_PREFIX = "order-"
# The order's status after each event, and the field of the event that says when.
STATUS_AFTER = {
    "OrderPlaced": ("pending_payment", "placed_at"),
    "OrderPaid": ("paid", "paid_at"),
    "OrderShipped": ("shipped", "shipped_at"),
    "OrderCancelled": ("cancelled", "cancelled_at"),
}
# Money given back on an order, which keeps its status.
REFUNDED = "OrderRefunded"
# The service's other event types: known, and on purpose not on the ledger.
NOT_BILLED = frozenset({"PaymentNotified", "OrderDetailsCorrected", "OrderNoteAdded",
                        "ProductAdded", "ProductRestocked", "ProductRenamed",
                        "ProductRepriced", "ProductRetired", "ShippingMethodAdded"})
MAX_BACKOFF_S = 30.0
REQUEST_TIMEOUT_S = 15.0
API_KEY_VARIABLE = "ORDER_SERVICE_API_KEY"
NEW_KEY_HINT = "order-service api-key create --role merchant --name billing"


class SyncError(Exception):
    """A problem the script cannot fix by waiting; the message says what to do."""

    def __init__(self, message: str, exit_status: int = 1) -> None:
        super().__init__(message)
        self.exit_status = exit_status


class Transient(Exception):
    """A failure worth retrying (network error, 5xx, 429); `wait_s` is a hint or None."""

    def __init__(self, message: str, wait_s: float | None = None) -> None:
        super().__init__(message)
        self.wait_s = wait_s


@dataclass(frozen=True)
class Checkpoint:
    """Every event up to `after` is in the ledger, whose lines are its first `ledger_bytes`."""

    after: int
    ledger_bytes: int


@dataclass(frozen=True)
class OrderFacts:
    """What goes on every ledger line of an order: its number, total and currency, which
    never change, and its status as last booked (a refund's line repeats it)."""

    number: int
    total: int
    currency: str
    status: str


def log(message: str) -> None:
    """Progress and errors go to stderr, one line each."""
    print(f"billing_sync: {message}", file=sys.stderr, flush=True)


# -- durable files --------------------------------------------------------------------------


def fsync_directory(directory: Path) -> None:
    """Make a rename or a new file in `directory` survive a power cut."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_checkpoint(state_dir: Path, checkpoint: Checkpoint) -> None:
    """Replace the checkpoint atomically and durably (temp file, fsync, rename, fsync dir)."""
    temporary = state_dir / f"{CHECKPOINT}.tmp"
    body = json.dumps({"after": checkpoint.after, "ledger_bytes": checkpoint.ledger_bytes})
    with temporary.open("w", encoding="utf-8") as file:
        file.write(body + "\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, state_dir / CHECKPOINT)
    fsync_directory(state_dir)


def read_checkpoint(state_dir: Path) -> Checkpoint | None:
    """The last checkpoint written, or None before the first run."""
    path = state_dir / CHECKPOINT
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        checkpoint = Checkpoint(after=int(raw["after"]), ledger_bytes=int(raw["ledger_bytes"]))
    except (ValueError, KeyError, TypeError) as error:
        raise SyncError(f"{path} is not a checkpoint this script wrote ({error}); restore it "
                        "from a backup, or start over with an empty --state-dir") from error
    if checkpoint.after < 0 or checkpoint.ledger_bytes < 0:
        raise SyncError(f"{path} holds negative numbers; restore it or start over")
    return checkpoint


def recover(state_dir: Path) -> Checkpoint:
    """The checkpoint to resume from, with the ledger cut back to exactly what it covers."""
    ledger = state_dir / LEDGER
    checkpoint = read_checkpoint(state_dir)
    if checkpoint is None:
        if ledger.exists() and ledger.stat().st_size > 0:
            raise SyncError(f"{ledger} exists but {state_dir / CHECKPOINT} does not; move the "
                            "ledger away (or restore its checkpoint) before syncing again")
        checkpoint = Checkpoint(after=0, ledger_bytes=0)
        ledger.touch()
        write_checkpoint(state_dir, checkpoint)
        return checkpoint
    size = ledger.stat().st_size if ledger.exists() else 0
    if size < checkpoint.ledger_bytes:
        raise SyncError(f"{ledger} has {size} bytes but the checkpoint says "
                        f"{checkpoint.ledger_bytes} were written; it was truncated or replaced. "
                        "Restore it, or start over with an empty --state-dir")
    if size > checkpoint.ledger_bytes:
        with ledger.open("r+b") as file:
            file.truncate(checkpoint.ledger_bytes)
            os.fsync(file.fileno())
        log(f"dropped {size - checkpoint.ledger_bytes} bytes written after the last checkpoint")
    return checkpoint


def known_orders(state_dir: Path) -> dict[str, OrderFacts]:
    """Number, total, currency and last status of every order already in the (recovered)
    ledger."""
    facts: dict[str, OrderFacts] = {}
    with (state_dir / LEDGER).open("rb") as file:
        for number, raw in enumerate(file, start=1):
            try:
                entry = json.loads(raw)
                facts[entry["order_id"]] = OrderFacts(entry["number"], entry["total"],
                                                      entry["currency"], entry["status"])
            except (ValueError, KeyError, TypeError) as error:
                raise SyncError(f"line {number} of {state_dir / LEDGER} is not a ledger line "
                                f"({error}); restore the ledger from a backup") from error
    return facts


def append_page(state_dir: Path, at_byte: int, lines: Sequence[JsonObject]) -> int:
    """Write `lines` at byte `at_byte` of the ledger (cutting anything after), fsync; new size.

    Writing at the checkpoint's offset rather than at the end makes a retried page
    replace a half-written attempt instead of following it.
    """
    payload = b"".join(
        json.dumps(entry, ensure_ascii=False).encode("utf-8") + b"\n" for entry in lines)
    with (state_dir / LEDGER).open("r+b") as file:
        file.seek(at_byte)
        file.write(payload)
        file.truncate()
        file.flush()
        os.fsync(file.fileno())
    return at_byte + len(payload)


@contextlib.contextmanager
def exclusive(state_dir: Path) -> Iterator[None]:
    """Hold the state directory's lock; a second copy of the script is refused."""
    with (state_dir / LOCK).open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise SyncError(f"another billing_sync is already using {state_dir}; stop it "
                            "first (two copies would write every order twice)") from error
        yield


# -- the service ----------------------------------------------------------------------------


def get_json(client: httpx.Client, path: str, params: dict[str, Any] | None = None) -> Any:
    """GET `path` and return its JSON; Transient for what waiting may fix, else SyncError."""
    try:
        response = client.get(path, params=params)
    except httpx.TransportError as error:
        raise Transient(f"cannot reach {client.base_url}: {error!r}") from error
    if response.status_code == 429 or response.status_code >= 500:
        raise Transient(f"{path} answered {response.status_code}",
                        retry_after(response.headers.get("Retry-After")))
    if response.status_code in (401, 403):
        raise key_refused(response)
    if response.status_code != 200:
        raise SyncError(f"GET {response.request.url} answered {response.status_code}: "
                        f"{response.text[:300]}; is --url an order-service?")
    try:
        return response.json()
    except ValueError as error:
        raise SyncError(f"GET {response.request.url} did not answer JSON; "
                        "is --url an order-service?") from error


def key_refused(response: httpx.Response) -> SyncError:
    """The fatal error for a 401/403: waiting will not make the service take the key."""
    try:
        detail = str(response.json().get("detail", ""))
    except (ValueError, AttributeError):
        detail = ""
    if response.status_code == 401:
        problem = "the service refused the API key (401: unknown or revoked)"
    else:
        problem = ("the API key may not read what billing needs (403: the event feed and "
                   "every order need a merchant key)")
    return SyncError(
        f"{problem}{': ' + detail if detail else ''}. Pass a valid merchant key with "
        f"--api-key or {API_KEY_VARIABLE}; make one with `{NEW_KEY_HINT}`", exit_status=2)


def retry_after(header: str | None) -> float | None:
    """Seconds from a Retry-After header given in seconds (None otherwise)."""
    try:
        return float(header) if header is not None else None
    except ValueError:
        return None


def fetch_order_facts(client: httpx.Client, order_id: str) -> OrderFacts:
    """Number, total, currency and status of an order the ledger has not seen placed (its
    status now: the best there is for a refund's line)."""
    order = get_json(client, f"/v1/orders/{order_id}")
    return OrderFacts(order["number"], order["total"], order["currency"], order["status"])


# -- events to ledger lines -----------------------------------------------------------------


def ledger_line(event: JsonObject, facts: MutableMapping[str, OrderFacts],
                client: httpx.Client, skipped: set[str]) -> JsonObject | None:
    """The ledger line for one feed event, or None if it neither changes an order's status
    nor refunds it.

    A type this script does not know is skipped, and named in one log line the first time
    (noted in `skipped`): a newer order-service may store types billing never heard of.
    """
    kind, data = event["type"], event["data"]
    if kind not in STATUS_AFTER and kind != REFUNDED and kind not in NOT_BILLED:
        if kind not in skipped:
            skipped.add(kind)
            log(f"skipping event {event['position']} of type {kind!r}, which this script "
                "does not know (a newer order-service stored it), and any later one of that "
                "type; update billing_sync if it should be billed")
        return None
    if kind in NOT_BILLED or not event["stream_id"].startswith(ORDER_STREAM_PREFIX):
        return None
    order_id = data["order_id"]
    if kind == "OrderPlaced":
        facts[order_id] = OrderFacts(data["number"], data["total"], data["currency"],
                                     STATUS_AFTER[kind][0])
    elif order_id not in facts:
        facts[order_id] = fetch_order_facts(client, order_id)
    if kind == REFUNDED:
        return {**_order_line(event, facts[order_id], data["refunded_at"]),
                "refund_id": f"{order_id}/{event['version']}", "amount": data["amount"],
                "reason": data["reason"]}
    status, when = STATUS_AFTER[kind]
    facts[order_id] = replace(facts[order_id], status=status)
    return _order_line(event, facts[order_id], data.get(when, event["recorded_at"]))


def _order_line(event: JsonObject, known: OrderFacts, at: str) -> JsonObject:
    return {"event_position": event["position"], "order_id": event["data"]["order_id"],
            "number": known.number, "type": event["type"], "status": known.status,
            "total": known.total, "currency": known.currency, "at": at}


@dataclass
class Follower:
    """Follows the feed from a checkpoint and keeps ledger and checkpoint in step."""

    client: httpx.Client
    state_dir: Path
    checkpoint: Checkpoint
    facts: dict[str, OrderFacts]
    batch: int
    skipped: set[str] = field(default_factory=set)

    def sync_page(self) -> int:
        """Fetch one page after the checkpoint, make it durable; how many events it held."""
        page = get_json(self.client, "/v1/events",
                        {"after": self.checkpoint.after, "limit": self.batch})
        items: list[JsonObject] = page["items"]
        if not items:
            return 0
        # What the page learns about orders is kept apart until the page is durable: a
        # page retried after a failure half-way (a transient error fetching an order)
        # must see each order's status as booked before the page, not as the failed
        # attempt left it.
        learnt: ChainMap[str, OrderFacts] = ChainMap({}, self.facts)
        lines = [line for event in items
                 if (line := ledger_line(event, learnt, self.client, self.skipped))
                 is not None]
        size = self.checkpoint.ledger_bytes
        if lines:
            size = append_page(self.state_dir, size, lines)
        self.checkpoint = Checkpoint(after=int(page["next_after"]), ledger_bytes=size)
        write_checkpoint(self.state_dir, self.checkpoint)
        self.facts.update(learnt.maps[0])
        log(f"synced up to position {self.checkpoint.after} "
            f"({len(lines)} order events, {len(self.facts)} orders)")
        return len(items)

    def catch_up(self) -> None:
        """Sync pages until the feed has nothing newer."""
        while self.sync_page() == self.batch:
            pass


def run(follower: Follower, *, once: bool, interval_s: float) -> None:
    """Catch up, then (unless `once`) poll every `interval_s`, retrying transient errors."""
    backoff = 0.5
    while True:
        try:
            follower.catch_up()
        except Transient as error:
            wait = error.wait_s if error.wait_s is not None else backoff
            log(f"{error}; retrying in {wait:.1f} s")
            time.sleep(wait)
            backoff = min(backoff * 2, MAX_BACKOFF_S)
            continue
        backoff = 0.5
        if once:
            log(f"caught up at position {follower.checkpoint.after}")
            return
        time.sleep(interval_s)


def check_reachable(client: httpx.Client, url: str) -> None:
    """Fail at once, saying what to fix, if nothing answers at `url` on start."""
    try:
        get_json(client, "/v1/events", {"after": 0, "limit": 1})
    except Transient as error:
        raise SyncError(f"{error}; start the service (order-service serve) or pass the "
                        f"right --url (now {url})", exit_status=2) from error


# -- command line ---------------------------------------------------------------------------


def batch_size(raw: str) -> int:
    """--batch: the feed serves 1 to 1000 events a page."""
    value = int(raw)
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError("must be between 1 and 1000")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description="Copy every order change from order-service into a billing ledger, "
                    "exactly once, resuming where it stopped.")
    parser.add_argument("--url", default="http://127.0.0.1:8000",
                        help="order-service base URL (default %(default)s)")
    parser.add_argument("--state-dir", type=Path, required=True,
                        help="directory for ledger.ndjson and checkpoint.json")
    parser.add_argument("--once", action="store_true", help="exit once caught up")
    parser.add_argument("--interval", type=float, default=2.0,
                        help="seconds between polls once caught up (default %(default)s)")
    parser.add_argument("--batch", type=batch_size, default=200,
                        help="events per request, 1..1000 (default %(default)s)")
    parser.add_argument("--api-key", default=os.environ.get(API_KEY_VARIABLE) or None,
                        help=f"a merchant API key (default: ${API_KEY_VARIABLE}; prefer the "
                        "variable, a command line is visible to other users)")
    return parser.parse_args(argv)


def stop_on_sigterm(signum: int, frame: FrameType | None) -> NoReturn:
    """SIGTERM stops like Ctrl-C (anywhere: the files are crash-safe)."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sync; the process exit status."""
    args = parse_args(argv)
    state_dir: Path = args.state_dir
    if not args.api_key:
        log(f"error: no API key: pass --api-key KEY or set {API_KEY_VARIABLE} to a merchant "
            f"key (make one with `{NEW_KEY_HINT}`)")
        return 2
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    # Explicitly: started with SIGINT ignored (as a shell starts `cmd &`), Python would
    # leave it ignored and Ctrl-C would not stop the script.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    headers = {"Authorization": f"Bearer {args.api_key}"}
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        with exclusive(state_dir), httpx.Client(base_url=args.url, headers=headers,
                                                timeout=REQUEST_TIMEOUT_S) as client:
            checkpoint = recover(state_dir)
            follower = Follower(client, state_dir, checkpoint, known_orders(state_dir),
                                args.batch)
            log(f"resuming after position {checkpoint.after} "
                f"({len(follower.facts)} orders in the ledger)")
            check_reachable(client, args.url)
            run(follower, once=args.once, interval_s=args.interval)
    except SyncError as error:
        log(f"error: {error}")
        return error.exit_status
    except KeyboardInterrupt:
        log("stopped")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
