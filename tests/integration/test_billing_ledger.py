"""examples/billing_sync.py's ledger on a real file system: a restart resumes from exactly
what its checkpoint covers, and a refund is booked with the status its order had.
(tests/e2e/test_billing_sync.py runs the script against a server and kills it; these check
its recovery and booking rules one at a time, with a feed served in memory.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.example_scripts import load_example

billing = load_example("billing_sync")
LINES: list[dict[str, object]] = [
    {"position": n, "order_id": f"order-{n}", "type": "OrderPlaced", "number": n,
     "status": "pending_payment", "total": 1_000 * n, "currency": "EUR"} for n in (1, 2, 3)]
SANDALS = "5d0e4c1b-6a2f-4f8e-9b3a-1c7d2e8f4a60"
BELT = "9b2f7e1a-3c4d-4e5f-8a6b-0c1d2e3f4a5b"


def synced(state_dir: Path, lines: list[dict[str, object]]) -> int:
    """A state directory after a sync that wrote `lines` and checkpointed them; the size."""
    state_dir.mkdir(exist_ok=True)
    billing.recover(state_dir)
    size: int = billing.append_page(state_dir, 0, lines)
    billing.write_checkpoint(state_dir, billing.Checkpoint(after=len(lines),
                                                           ledger_bytes=size))
    return size


def test_lines_written_after_the_last_checkpoint_are_cut_off_on_restart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    size = synced(tmp_path, LINES[:2])
    # A kill between fsyncing the ledger and renaming the checkpoint leaves this behind.
    billing.append_page(tmp_path, size, LINES[2:])
    written = (tmp_path / billing.LEDGER).stat().st_size

    resumed = billing.recover(tmp_path)

    assert resumed == billing.Checkpoint(after=2, ledger_bytes=size)
    assert (tmp_path / billing.LEDGER).stat().st_size == size
    assert f"dropped {written - size} bytes" in capsys.readouterr().err
    assert set(billing.known_orders(tmp_path)) == {"order-1", "order-2"}


def test_a_torn_last_line_is_cut_off_and_the_next_page_replaces_it(tmp_path: Path) -> None:
    size = synced(tmp_path, LINES[:2])
    with (tmp_path / billing.LEDGER).open("ab") as ledger:
        ledger.write(b'{"position": 3, "order_')

    resumed = billing.recover(tmp_path)
    billing.append_page(tmp_path, resumed.ledger_bytes, LINES[2:])

    text = (tmp_path / billing.LEDGER).read_text(encoding="utf-8")
    assert [json.loads(line) for line in text.splitlines()] == LINES
    assert resumed.ledger_bytes == size


def test_a_ledger_shorter_than_its_checkpoint_stops_the_sync_and_is_left_alone(
    tmp_path: Path
) -> None:
    synced(tmp_path, LINES)
    (tmp_path / billing.LEDGER).write_bytes(b"")

    with pytest.raises(billing.SyncError, match="was truncated or replaced"):
        billing.recover(tmp_path)

    assert (tmp_path / billing.LEDGER).read_bytes() == b""


def test_a_ledger_without_its_checkpoint_stops_the_sync(tmp_path: Path) -> None:
    synced(tmp_path, LINES)
    (tmp_path / billing.CHECKPOINT).unlink()

    with pytest.raises(billing.SyncError, match="does not; move the ledger away"):
        billing.recover(tmp_path)


def feed_event(position: int, order_id: str, version: int, kind: str,
               **data: Any) -> dict[str, Any]:
    """An order's event as GET /v1/events lists it."""
    return {"id": f"event-{position}", "position": position, "stream_id": f"order-{order_id}",
            "version": version, "type": kind, "schema_version": 1,
            "recorded_at": "2026-11-03T10:15:02Z", "data": {"order_id": order_id, **data},
            "metadata": {}}


def placed(position: int, order_id: str, number: int) -> dict[str, Any]:
    return feed_event(position, order_id, 1, "OrderPlaced", number=number, total=11_473,
                      currency="EUR", placed_at="2026-11-03T10:00:00Z")


def refunded(position: int, order_id: str, version: int, amount: int) -> dict[str, Any]:
    return feed_event(position, order_id, version, "OrderRefunded", amount=amount,
                      currency="EUR", reason="sandals too small", lines=[],
                      returned_stock=[], refunded_at="2026-11-09T16:20:00Z")


def service(events: list[dict[str, Any]], orders: dict[str, dict[str, Any]],
            failures: int = 0) -> httpx.Client:
    """A client of an order-service serving `events` and `orders` from memory; the first
    `failures` reads of an order answer 503."""
    left = [failures]

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/events":
            after, limit = (int(request.url.params[name]) for name in ("after", "limit"))
            items = [event for event in events if event["position"] > after][:limit]
            return httpx.Response(200, json={
                "items": items, "next_after": items[-1]["position"] if items else after})
        if left[0]:
            left[0] -= 1
            return httpx.Response(503)
        return httpx.Response(200, json=orders[request.url.path.rsplit("/", 1)[-1]])

    return httpx.Client(base_url="http://orders.test", transport=httpx.MockTransport(answer))


def booked(events: list[dict[str, Any]], facts: dict[str, Any] | None = None
           ) -> list[dict[str, Any]]:
    """The ledger lines of `events`, from what the ledger knew (`facts`)."""
    known = {} if facts is None else facts
    with service([], {}) as client:
        lines = [billing.ledger_line(event, known, client, set()) for event in events]
    return [line for line in lines if line is not None]


def test_a_refund_is_booked_with_its_amount_reason_and_an_id_keeping_its_orders_status(
) -> None:
    lines = booked([
        placed(1, SANDALS, 17), feed_event(2, SANDALS, 2, "OrderPaid", paid_at="x"),
        feed_event(3, SANDALS, 3, "OrderShipped", shipped_at="y"),
        refunded(4, SANDALS, 4, 4_990), refunded(5, SANDALS, 5, 6_483)])

    assert lines[3] == {
        "event_position": 4, "order_id": SANDALS, "number": 17, "type": "OrderRefunded",
        "status": "shipped", "total": 11_473, "currency": "EUR",
        "at": "2026-11-09T16:20:00Z", "refund_id": f"{SANDALS}/4", "amount": 4_990,
        "reason": "sandals too small"}
    assert [(line["status"], line["refund_id"], line["amount"]) for line in lines[3:]] == [
        ("shipped", f"{SANDALS}/4", 4_990), ("shipped", f"{SANDALS}/5", 6_483)]


def test_after_a_restart_a_refund_repeats_the_status_the_ledger_last_gave_its_order(
    tmp_path: Path,
) -> None:
    synced(tmp_path, booked([placed(1, SANDALS, 17),
                             feed_event(2, SANDALS, 2, "OrderPaid", paid_at="x")]))

    (line,) = booked([refunded(3, SANDALS, 3, 500)], billing.known_orders(tmp_path))

    assert (line["status"], line["number"], line["total"]) == ("paid", 17, 11_473)


def follower(tmp_path: Path, client: httpx.Client) -> Any:
    checkpoint = billing.recover(tmp_path)
    return billing.Follower(client, tmp_path, checkpoint, billing.known_orders(tmp_path), 10)


def test_a_page_retried_after_failing_half_way_books_its_refund_with_the_status_before_it(
    tmp_path: Path,
) -> None:
    history = [placed(1, SANDALS, 17), feed_event(2, SANDALS, 2, "OrderPaid", paid_at="x")]
    synced(tmp_path, booked(history))
    # The belt's order is not in the ledger: reading it fails once, after the page has
    # seen the sandals refunded and then shipped.
    page = [refunded(3, SANDALS, 3, 500),
            feed_event(4, SANDALS, 4, "OrderShipped", shipped_at="y"),
            feed_event(5, BELT, 2, "OrderPaid", paid_at="z")]
    belt = {"number": 18, "total": 2_500, "currency": "EUR", "status": "paid"}
    sync = follower(tmp_path, service(page, {BELT: belt}, failures=1))

    with pytest.raises(billing.Transient):
        sync.sync_page()
    sync.sync_page()

    lines = [json.loads(text) for text in (tmp_path / billing.LEDGER).read_text().splitlines()]
    assert [(line["type"], line["status"]) for line in lines[2:]] == [
        ("OrderRefunded", "paid"), ("OrderShipped", "shipped"), ("OrderPaid", "paid")]


def test_a_sync_run_again_books_no_refund_twice(tmp_path: Path) -> None:
    events = [placed(1, SANDALS, 17), feed_event(2, SANDALS, 2, "OrderPaid", paid_at="x"),
              refunded(3, SANDALS, 3, 500), refunded(4, SANDALS, 4, 10_973)]

    def run() -> None:
        with service(events, {}) as client:
            follower(tmp_path, client).catch_up()

    run()
    run()

    lines = [json.loads(text) for text in (tmp_path / billing.LEDGER).read_text().splitlines()]
    assert [line["refund_id"] for line in lines if line["type"] == "OrderRefunded"] == [
        f"{SANDALS}/3", f"{SANDALS}/4"]


def test_a_first_start_begins_an_empty_ledger_at_position_zero(tmp_path: Path) -> None:
    assert billing.recover(tmp_path) == billing.Checkpoint(after=0, ledger_bytes=0)
    assert billing.read_checkpoint(tmp_path) == billing.Checkpoint(after=0, ledger_bytes=0)
    assert (tmp_path / billing.LEDGER).read_bytes() == b""
