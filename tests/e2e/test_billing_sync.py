"""examples/billing_sync.py against a real two-worker server: exactly once despite kill -9.

The script follows GET /v1/events into DIR/ledger.ndjson (one line per order event that
changes a status or refunds money) and DIR/checkpoint.json. These tests run it as a
separate process, the way a billing team would (with the server's merchant key in
ORDER_SERVICE_API_KEY), kill it with SIGKILL at random moments while orders change, and
compare its ledger with the store's own feed.
"""

from __future__ import annotations

import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from order_service.adapters.sql.engine import make_engine
from order_service.application.access import Role
from tests.api_keys import create_key
from tests.e2e.builders import (
    JsonObject,
    create_product,
    create_shipping_method,
    get_json,
    line,
    place_order,
)
from tests.e2e.exports import refund
from tests.e2e.live import TIMEOUT_S, events_after, serving
from tests.example_scripts import load_example
from tests.newer_events import NEWER_TYPE, store_newer_event
from tests.servers import COMMAND, Server, free_port

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "billing_sync.py"
ORDER_EVENT_TYPES = {"OrderPlaced", "OrderPaid", "OrderShipped", "OrderCancelled",
                     "OrderRefunded"}
PROGRESS = "synced up to position "
API_KEY_VARIABLE = "ORDER_SERVICE_API_KEY"


GATEWAY_SECRET = "whsec_billing_5d1e"


gateway = load_example("sign_notification")


@pytest.fixture(scope="module")
def server(module_database_url: str, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Server]:
    """One two-worker server per backend; every test syncs the whole store from 0."""
    with serving(module_database_url, tmp_path_factory.mktemp("server"),
                 payment_gateway_secret=GATEWAY_SECRET) as running:
        yield running


# -- running the script --------------------------------------------------------------------


def command(server: Server, state_dir: Path, *options: str) -> list[str]:
    return [sys.executable, str(SCRIPT), "--url", server.base_url, "--state-dir",
            str(state_dir), *options]


def environment(api_key: str | None) -> dict[str, str]:
    """The caller's environment with ORDER_SERVICE_API_KEY set to `api_key` (or unset)."""
    env = {k: v for k, v in os.environ.items() if k != API_KEY_VARIABLE}
    if api_key is not None:
        env[API_KEY_VARIABLE] = api_key
    return env


def sync_once(server: Server, state_dir: Path, *options: str, api_key: str | None = None,
              ) -> subprocess.CompletedProcess[str]:
    """Run the script to catch up and exit; with the server's key unless another is given."""
    return subprocess.run(command(server, state_dir, "--once", *options), capture_output=True,
                          env=environment(api_key or server.api_key),
                          text=True, timeout=TIMEOUT_S, check=False)


class Running:
    """The script polling in the background; its stderr lines arrive on `lines`."""

    def __init__(self, argv: list[str], api_key: str | None) -> None:
        self.process = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True,
                                        env=environment(api_key))
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for text in self.process.stderr:
            self.stderr.append(text)
            self.lines.put(text)

    def next_progress(self, timeout: float = TIMEOUT_S) -> int:
        """Wait for the next "synced up to position N" line; N."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                text = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no progress within {timeout} s (exit status "
                                     f"{self.process.poll()}):\n{''.join(self.stderr)}"
                                     ) from None
            if PROGRESS in text:
                return int(text.split(PROGRESS)[1].split()[0])

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind."""
        self.process.kill()
        self.process.wait(timeout=TIMEOUT_S)
        self._reader.join(timeout=TIMEOUT_S)


def ledger(state_dir: Path) -> list[JsonObject]:
    """Every ledger line, parsed (a torn or doubled line fails here or in the comparison)."""
    text = (state_dir / "ledger.ndjson").read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n"), f"torn last line: {text[-80:]!r}"
    return [json.loads(raw) for raw in text.splitlines()]


def checkpoint(state_dir: Path) -> JsonObject:
    saved: JsonObject = json.loads((state_dir / "checkpoint.json").read_text(encoding="utf-8"))
    return saved


def order_events(client: httpx.Client) -> list[tuple[str, str, int]]:
    """(order_id, type, position) of every event that changed an order's status or
    refunded it, in feed order: what the ledger must hold."""
    return [(event["data"]["order_id"], event["type"], event["position"])
            for event in events_after(client)
            if event["stream_id"].startswith("order-") and event["type"] in ORDER_EVENT_TYPES]


def as_recorded(lines: list[JsonObject]) -> list[tuple[str, str, int]]:
    return [(entry["order_id"], entry["type"], entry["event_position"]) for entry in lines]


# -- writing orders meanwhile --------------------------------------------------------------


def change_orders_until(stop: threading.Event, server: Server, seed: int) -> int:
    """Place orders and pay/ship/refund/cancel them (plus restocks) until `stop`; orders
    placed.

    About 30 orders a second, so that the feed keeps growing however long the test runs.
    """
    rng = random.Random(seed)
    with server.new_client(timeout=TIMEOUT_S) as client:
        sku = create_product(client, stock=100_000)["sku"]
        method = create_shipping_method(client)["code"]
        placed = 0
        while not stop.wait(0.02):
            order = place_order(client, [line(sku, rng.randint(1, 3))], method)
            placed += 1
            steps = rng.choice([[], ["pay"], ["pay", "ship"], ["cancel"], ["pay", "cancel"],
                                ["pay", "refund"], ["pay", "ship", "refund", "refund"]])
            for step in steps:
                if step == "refund":
                    refund(client, order, rng.randint(1, order["total"] // 2))
                    continue
                answer = client.post(f"/v1/orders/{order['id']}/{step}")
                assert answer.status_code == 200, answer.text
            if rng.random() < 0.2:
                restock = client.post(f"/v1/products/{sku}/restock", json={"quantity": 5})
                assert restock.status_code == 200, restock.text
        return placed


def place_paid_order(client: httpx.Client) -> JsonObject:
    sku = create_product(client, stock=5)["sku"]
    order = place_order(client, [line(sku, 1)], create_shipping_method(client)["code"])
    assert client.post(f"/v1/orders/{order['id']}/pay").status_code == 200
    return order


def notify(server: Server, order: JsonObject, status: str) -> JsonObject:
    """A gateway's signed notification about `order`'s total, sent as the gateway would."""
    body = gateway.notification_body(order["id"], order["total"], order["currency"],
                                     status=status)
    response = httpx.post(f"{server.base_url}/v1/payment-notifications", content=body,
                          headers={"Content-Type": "application/json", "Signature":
                                   gateway.signature(body, GATEWAY_SECRET, int(time.time()))},
                          timeout=TIMEOUT_S)
    assert response.status_code == 200, response.text
    outcome: JsonObject = response.json()
    return outcome


# -- every event type the service stores, and one it does not know yet ----------------------


def test_gateway_notifications_and_an_event_type_it_does_not_know_never_stop_billing(
    server: Server, tmp_path: Path
) -> None:
    client = server.client
    sku = create_product(client, stock=5)["sku"]
    method = create_shipping_method(client)["code"]
    paid, declined = (place_order(client, [line(sku, 1)], method) for _ in range(2))
    assert notify(server, paid, "succeeded")["applied"] is True
    assert notify(server, declined, "failed")["applied"] is False
    engine = make_engine(server.database_url, pool_size=1)
    try:
        newer = [store_newer_event(engine, f"order-{paid['id']}"),
                 store_newer_event(engine, f"order-{declined['id']}"),
                 store_newer_event(engine, "gift-card-GC-9", event_type="GiftCardIssued")]
    finally:
        engine.dispose()
    later = place_paid_order(client)
    end = events_after(client)[-1]["position"]

    result = sync_once(server, tmp_path / "billing")

    assert result.returncode == 0, result.stderr
    assert f"caught up at position {end}" in result.stderr
    skipped = [text for text in result.stderr.splitlines() if "skipping event" in text]
    assert skipped == [
        f"billing_sync: skipping event {newer[0]} of type '{NEWER_TYPE}', which this script "
        "does not know (a newer order-service stored it), and any later one of that type; "
        "update billing_sync if it should be billed",
        f"billing_sync: skipping event {newer[2]} of type 'GiftCardIssued', which this script "
        "does not know (a newer order-service stored it), and any later one of that type; "
        "update billing_sync if it should be billed"]
    lines = ledger(tmp_path / "billing")
    assert as_recorded(lines) == order_events(client)
    fates = {order["id"]: [entry["type"] for entry in lines if entry["order_id"] == order["id"]]
             for order in (paid, declined, later)}
    assert fates == {paid["id"]: ["OrderPlaced", "OrderPaid"],
                     declined["id"]: ["OrderPlaced"], later["id"]: ["OrderPlaced", "OrderPaid"]}


# -- exactly once under kill -9 ------------------------------------------------------------


def test_a_sync_killed_again_and_again_while_orders_change_records_each_order_event_once(
    server: Server, tmp_path: Path
) -> None:
    state_dir = tmp_path / "billing"
    rng = random.Random()
    kills: list[str] = []
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        writer = pool.submit(change_orders_until, stop, server, rng.randrange(10**6))
        try:
            for round_ in range(10):
                if writer.done():
                    writer.result()  # its failure, if it stopped early
                sync = Running(command(server, state_dir, "--interval", "0.2", "--batch", "7"),
                               server.api_key)
                if round_ % 3 == 0:
                    # Right after it reported progress: that position must be durable.
                    reported = sync.next_progress()
                    sync.kill()
                    assert checkpoint(state_dir)["after"] >= reported, sync.stderr
                    kills.append(f"after progress {reported}")
                else:
                    delay = rng.uniform(0.0, 0.8)
                    time.sleep(delay)
                    sync.kill()
                    kills.append(f"after {delay:.2f} s")
        finally:
            stop.set()
        placed = writer.result(timeout=TIMEOUT_S)

    final = sync_once(server, state_dir)

    assert final.returncode == 0, final.stderr
    assert "caught up at position" in final.stderr
    lines = ledger(state_dir)
    assert as_recorded(lines) == order_events(server.client), kills
    positions = [entry["event_position"] for entry in lines]
    assert positions == sorted(set(positions))
    assert placed > 10, "the writer hardly ran while the sync was killed"


def test_each_orders_last_ledger_line_has_its_current_status_number_total_and_currency(
    server: Server, tmp_path: Path
) -> None:
    state_dir = tmp_path / "billing"
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        writer = pool.submit(change_orders_until, stop, server, 7)
        sync = Running(command(server, state_dir, "--interval", "0.2", "--batch", "5"),
                       server.api_key)
        time.sleep(1.0)
        sync.kill()
        stop.set()
        writer.result(timeout=TIMEOUT_S)

    assert sync_once(server, state_dir).returncode == 0

    last: dict[str, JsonObject] = {}
    for entry in ledger(state_dir):
        last[entry["order_id"]] = entry
    assert last
    for order_id, entry in last.items():
        order = server.client.get(f"/v1/orders/{order_id}").json()
        assert (entry["status"], entry["number"], entry["total"], entry["currency"]) == (
            order["status"], order["number"], order["total"], order["currency"]), order_id


# -- refunds -------------------------------------------------------------------------------


def test_each_refund_is_booked_once_with_its_amount_however_often_the_sync_runs(
    server: Server, tmp_path: Path
) -> None:
    client, state_dir = server.client, tmp_path / "billing"
    order = place_paid_order(client)
    assert client.post(f"/v1/orders/{order['id']}/ship").status_code == 200
    refund(client, order, 100, reason="parcel arrived late")
    assert sync_once(server, state_dir).returncode == 0
    # The rest of the money: a full refund, after which the order is still shipped.
    assert refund(client, order, order["total"] - 100, reason="never arrived")["status"] \
        == "shipped"

    runs = [sync_once(server, state_dir) for _ in range(2)]

    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    lines = ledger(state_dir)
    assert as_recorded(lines) == order_events(client)
    booked = [entry for entry in lines if entry["order_id"] == order["id"]]
    assert [(entry["type"], entry["status"]) for entry in booked] == [
        ("OrderPlaced", "pending_payment"), ("OrderPaid", "paid"), ("OrderShipped", "shipped"),
        ("OrderRefunded", "shipped"), ("OrderRefunded", "shipped")]
    history = get_json(client, f"/v1/orders/{order['id']}/events")
    refunds = [event for event in history if event["type"] == "OrderRefunded"]
    assert [(entry["refund_id"], entry["amount"], entry["reason"], entry["at"])
            for entry in booked[3:]] == [
        (f"{order['id']}/{event['version']}", event["data"]["amount"],
         event["data"]["reason"], event["data"]["refunded_at"]) for event in refunds]
    assert sum(entry["amount"] for entry in booked[3:]) == order["total"]


# -- errors and progress -------------------------------------------------------------------


def test_progress_names_the_position_synced_and_once_exits_zero_when_caught_up(
    server: Server, tmp_path: Path
) -> None:
    place_paid_order(server.client)
    end = events_after(server.client)[-1]["position"]

    result = sync_once(server, tmp_path / "billing")

    assert result.returncode == 0, result.stderr
    assert f"{PROGRESS}{end} (" in result.stderr
    assert f"caught up at position {end}" in result.stderr
    assert checkpoint(tmp_path / "billing")["after"] == end


def test_an_unreachable_service_on_first_start_exits_2_saying_what_to_fix(
    tmp_path: Path,
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--url", url, "--state-dir", str(tmp_path / "b"), "--once"],
        env=environment("os_live_any-key-will-do-for-nobody"),
        capture_output=True, text=True, timeout=TIMEOUT_S, check=False)

    assert result.returncode == 2
    assert f"cannot reach {url}" in result.stderr
    assert "order-service serve" in result.stderr
    assert "--url" in result.stderr


def test_a_second_sync_on_the_same_state_directory_is_refused(
    server: Server, tmp_path: Path
) -> None:
    state_dir = tmp_path / "billing"
    place_paid_order(server.client)  # something to sync, whichever tests ran before
    first = Running(command(server, state_dir, "--interval", "0.2"), server.api_key)
    try:
        first.next_progress()

        second = sync_once(server, state_dir)

        assert second.returncode == 1
        assert "another billing_sync is already using" in second.stderr
    finally:
        first.kill()


def test_a_sync_keeps_retrying_while_the_service_is_down_and_misses_nothing_after(
    server: Server, tmp_path: Path
) -> None:
    state_dir = tmp_path / "billing"
    place_paid_order(server.client)  # something to sync, whichever tests ran before
    sync = Running(command(server, state_dir, "--interval", "0.2"), server.api_key)
    try:
        sync.next_progress()
        server.kill()
        time.sleep(1.0)
        assert sync.process.poll() is None, "".join(sync.stderr)
        server.start()
        order = place_paid_order(server.client)
        end = events_after(server.client)[-1]["position"]
        while sync.next_progress() < end:
            pass
    finally:
        sync.kill()

    assert any("retrying in" in text for text in sync.stderr)
    lines = ledger(state_dir)
    assert as_recorded(lines) == order_events(server.client)
    assert order["id"] in {entry["order_id"] for entry in lines}


# -- the API key ---------------------------------------------------------------------------


def test_without_an_api_key_the_sync_refuses_to_start_naming_the_option_and_the_variable(
    server: Server, tmp_path: Path
) -> None:
    result = subprocess.run(command(server, tmp_path / "billing", "--once"),
                            env=environment(None), capture_output=True, text=True,
                            timeout=TIMEOUT_S, check=False)

    assert result.returncode == 2
    assert "--api-key" in result.stderr
    assert API_KEY_VARIABLE in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "billing").exists()


def test_the_key_may_be_given_with_the_api_key_option_instead_of_the_variable(
    server: Server, tmp_path: Path
) -> None:
    place_paid_order(server.client)
    assert server.api_key is not None

    result = subprocess.run(
        command(server, tmp_path / "billing", "--once", "--api-key", server.api_key),
        env=environment(None), capture_output=True, text=True, timeout=TIMEOUT_S, check=False)

    assert result.returncode == 0, result.stderr
    assert as_recorded(ledger(tmp_path / "billing")) == order_events(server.client)


def test_an_unknown_key_exits_2_at_once_naming_the_fix(server: Server, tmp_path: Path) -> None:
    unknown = "os_live_" + "x" * 43

    # Not --once: a refused key must stop a polling sync too, not be retried forever.
    result = subprocess.run(command(server, tmp_path / "billing", "--interval", "0.2"),
                            env=environment(unknown), capture_output=True, text=True,
                            timeout=TIMEOUT_S, check=False)

    assert result.returncode == 2, result.stderr
    assert "401" in result.stderr
    assert "--api-key" in result.stderr
    assert API_KEY_VARIABLE in result.stderr
    assert "retrying" not in result.stderr
    assert unknown not in result.stderr


def test_a_storefront_key_is_refused_and_the_sync_says_it_needs_a_merchant_key(
    server: Server, tmp_path: Path
) -> None:
    storefront = create_key(server.database_url, Role.STOREFRONT)

    result = sync_once(server, tmp_path / "billing", api_key=storefront)

    assert result.returncode == 2, result.stderr
    assert "403" in result.stderr
    assert "merchant" in result.stderr
    assert "retrying" not in result.stderr


def test_a_key_revoked_while_the_sync_polls_stops_it_with_status_2_instead_of_retrying(
    server: Server, tmp_path: Path
) -> None:
    name = f"billing-{uuid.uuid4().hex[:8]}"
    key = create_key(server.database_url, Role.MERCHANT, name)
    place_paid_order(server.client)  # something to sync, whichever tests ran before
    sync = Running(command(server, tmp_path / "billing", "--interval", "0.2"), key)
    try:
        sync.next_progress()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
        env["ORDER_SERVICE_DATABASE_URL"] = server.database_url
        subprocess.run([str(COMMAND), "api-key", "revoke", name], env=env, check=True,
                       capture_output=True, timeout=TIMEOUT_S)

        status = sync.process.wait(timeout=TIMEOUT_S)
    finally:
        sync.kill()

    assert status == 2, "".join(sync.stderr)
    stderr = "".join(sync.stderr)
    assert "401" in stderr
    assert "--api-key" in stderr
    assert "retrying" not in stderr
