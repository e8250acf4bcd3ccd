"""Expiring unpaid orders from several processes at once, on PostgreSQL.

Several `order-service expire-pending` processes, and the sweepers of a two-worker
server racing real payments, must cancel each expired order exactly once and never
cancel one that a payment got to first.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import Engine, select

from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.eventstore.tables import events
from tests.e2e.live import SERVER_SETTINGS, TIMEOUT_S
from tests.integration.builders import add_product, add_shipping_method, available, place
from tests.integration.test_expiring_orders import placed_ago
from tests.scrapes import value
from tests.servers import StartServer

POSTGRES_ONLY = pytest.mark.parametrize("backend", ["postgresql"])
COMMAND = Path(sys.executable).with_name("order-service")
CANCELLED_COUNT = re.compile(r"^cancelled (\d+) orders", re.MULTILINE)
HOLD = timedelta(hours=72)

Event = tuple[str, dict[str, Any], dict[str, Any]]


def histories(engine: Engine) -> dict[UUID, list[Event]]:
    """Every order's (type, data, metadata) events, oldest first."""
    query = (select(events.c.stream_id, events.c.type, events.c.data, events.c.metadata)
             .where(events.c.stream_id.like("order-%"))
             .order_by(events.c.stream_id, events.c.version))
    found: dict[UUID, list[Event]] = {}
    with engine.connect() as connection:
        for row in connection.execute(query):
            order_id = UUID(row.stream_id.removeprefix("order-"))
            found.setdefault(order_id, []).append((row.type, row.data, row.metadata))
    return found


def clock_at(shop: Shop, moment: datetime) -> Shop:
    """The same shop, with a clock stopped at `moment`."""
    return replace(shop, clock=lambda: moment)


def orders_whose_history_is(found: dict[UUID, list[Event]], *types: str) -> set[UUID]:
    return {order_id for order_id, history in found.items()
            if [event[0] for event in history] == list(types)}


@POSTGRES_ONLY
def test_three_expire_pending_processes_at_once_cancel_each_expired_order_exactly_once(
    shop: Shop, context: CommandContext, engine: Engine, database_url_for_test: str,
    tmp_path: Path,
) -> None:
    skus = [add_product(shop, context, stock=100) for _ in range(4)]
    method = add_shipping_method(shop, context)
    old = placed_ago(shop, HOLD + timedelta(hours=1))
    expired = {place(old, context, [(skus[i % 4], 1), (skus[(i + 1) % 4], 2)], method).id
               for i in range(90)}
    young = {place(shop, context, [(skus[0], 1)], method).id for _ in range(5)}
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")},
           "ORDER_SERVICE_DATABASE_URL": database_url_for_test}

    sweepers = [subprocess.Popen([str(COMMAND), "expire-pending", "--hold-hours", "72",
                                  "--batch-size", "10"], cwd=tmp_path, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(3)]
    outputs = [sweeper.communicate(timeout=TIMEOUT_S) for sweeper in sweepers]

    assert [sweeper.returncode for sweeper in sweepers] == [0] * 3, outputs
    counts = [int(match.group(1)) for out, _ in outputs for match in CANCELLED_COUNT.finditer(out)]
    assert len(counts) == 3, outputs
    assert sum(counts) == len(expired), outputs
    found = histories(engine)
    assert orders_whose_history_is(found, "OrderPlaced", "OrderCancelled") == expired
    assert orders_whose_history_is(found, "OrderPlaced") == young
    assert [available(shop, sku) for sku in skus] == [95, 100, 100, 100]


@POSTGRES_ONLY
def test_two_workers_sweeping_while_payments_arrive_leave_each_order_paid_or_expired(
    shop: Shop, context: CommandContext, engine: Engine, start_server: StartServer
) -> None:
    server = start_server(workers=2, settings={
        **SERVER_SETTINGS, "payment_hold_hours": "72", "expiry_sweep_seconds": "0.05"})
    sku = add_product(shop, context, stock=100)
    method = add_shipping_method(shop, context)
    # Each order's hold runs out at a moment of its own over the next seconds, and its
    # payment is sent around that moment: well before, just before or after, well after.
    first_expiry = datetime.now(UTC) + timedelta(seconds=0.6)
    offsets = [-0.5, -0.1, -0.02, 0.0, 0.02, 0.1, 0.5]
    payments: list[tuple[float, UUID]] = []
    for i in range(21):
        expires_at = first_expiry + timedelta(milliseconds=40 * i)
        order_id = place(clock_at(shop, expires_at - HOLD), context, [(sku, 2)], method).id
        payments.append((expires_at.timestamp() + offsets[i % len(offsets)], order_id))

    def pay_at(when: float, order_id: UUID) -> httpx.Response:
        with server.new_client() as client:
            time.sleep(max(0.0, when - time.time()))  # aims at a moment; nothing waits on it
            return client.post(f"/v1/orders/{order_id}/pay")

    with ThreadPoolExecutor(max_workers=len(payments)) as pool:
        answers = dict(zip((order_id for _, order_id in payments),
                           pool.map(lambda payment: pay_at(*payment), payments), strict=True))

    found = histories(engine)
    paid = orders_whose_history_is(found, "OrderPlaced", "OrderPaid")
    expired = orders_whose_history_is(found, "OrderPlaced", "OrderCancelled")
    assert paid | expired == set(answers)
    assert paid, "no payment got in before its order's hold ran out"
    assert expired, "no order's hold ran out before its payment"
    assert {order_id for order_id, answer in answers.items() if answer.status_code == 200} == paid
    for order_id in expired:
        refusal = answers[order_id]
        assert refusal.status_code == 409, refusal.text
        assert "is cancelled" in refusal.json()["detail"]
        _, data, metadata = found[order_id][1]
        assert data["reason"] == "payment_timeout"
        assert metadata["caused_by"].startswith("payment-hold-sweeper: serve")
    assert available(shop, sku) == 100 - 2 * len(paid)
    # Each worker counts its own sweeps; a scrape of either sums both workers' counts.
    scrape = server.client.get("/metrics").text
    assert value(scrape, "order_service_orders_expired_total") == len(expired)
    assert value(scrape, "order_service_expiry_sweeps_total") >= 2


def test_expire_pending_refuses_a_negative_hold_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run([str(COMMAND), "expire-pending", "--hold-hours", "-1"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=TIMEOUT_S, check=False)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "order-service: --hold-hours must be between 0 and 8760 (0: unpaid orders never "
        "expire), not -1"]
