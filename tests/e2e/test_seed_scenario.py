"""The sandals story against a real `order-service serve` process, over real TCP.

The server is the installed command, configured only through its environment, started in
an empty working directory; each test gets its own database. Whatever the server wrote is
printed when the test ends, so a failing test shows it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.e2e.builders import (
    create_product,
    create_shipping_method,
    get_json,
    line,
    order_body,
    place_order,
)
from tests.e2e.expectations import assert_problem

COMMAND = Path(sys.executable).with_name("order-service")
READY_WITHIN_SECONDS = 30.0

StartServer = Callable[..., httpx.Client]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"order-service exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/health/ready", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"order-service was not ready within {READY_WITHIN_SECONDS} s:\n"
                f"{log.read_text()}")


@pytest.fixture
def start_server(database_url_for_test: str, tmp_path: Path) -> Iterator[StartServer]:
    """Start `order-service serve` on this test's database; stopped at teardown."""
    assert COMMAND.is_file(), f"{COMMAND} is missing: install the project (pip install -e .)"
    started: list[tuple[subprocess.Popen[bytes], Path, httpx.Client]] = []

    def start(workers: int = 1) -> httpx.Client:
        port = _free_port()
        workdir = tmp_path / f"server-{len(started)}"
        workdir.mkdir()
        log = workdir / "server.log"
        # Only what this test sets: no ORDER_SERVICE_* of the caller leaks in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
        env["ORDER_SERVICE_DATABASE_URL"] = database_url_for_test
        with log.open("wb") as output:
            process = subprocess.Popen(
                [str(COMMAND), "serve", "--host", "127.0.0.1", "--port", str(port),
                 "--workers", str(workers)],
                cwd=workdir, env=env, stdout=output, stderr=subprocess.STDOUT,
            )
        base_url = f"http://127.0.0.1:{port}"
        client = httpx.Client(base_url=base_url, timeout=30.0,
                              limits=httpx.Limits(max_connections=32))
        started.append((process, log, client))
        _wait_until_ready(base_url, process, log)
        return client

    yield start

    for process, log, client in started:
        client.close()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        # Captured by pytest and shown only if the test failed.
        print(f"--- order-service output ({log}) ---\n{log.read_text()}")


def _available(client: httpx.Client, sku: str) -> tuple[int, bool]:
    product = get_json(client, f"/v1/products/{sku}")
    return product["available"], product["in_stock"]


def test_the_sandals_story_holds_over_a_real_server(start_server: StartServer) -> None:
    client = start_server()
    method = create_shipping_method(client)
    sandals = create_product(client, name="Leather sandals, size 42", stock=2)
    sku = sandals["sku"]

    first = place_order(client, [line(sku, 1)], method["code"])
    assert first["status"] == "pending_payment"
    assert _available(client, sku) == (1, True)

    assert client.post(f"/v1/orders/{first['id']}/pay").json()["status"] == "paid"
    assert _available(client, sku) == (1, True)
    assert client.post(f"/v1/orders/{first['id']}/ship").json()["status"] == "shipped"
    assert _available(client, sku) == (1, True)

    second = place_order(client, [line(sku, 1)], method["code"])
    assert _available(client, sku) == (0, False)

    refused = client.post("/v1/orders", json=order_body([line(sku, 1)], method["code"]))
    problem = assert_problem(refused, 409)
    assert problem["out_of_stock"] == [{"sku": sku, "requested": 1, "available": 0}]

    cancelled = client.post(f"/v1/orders/{second['id']}/cancel", json={"reason": "changed mind"})
    assert cancelled.json()["status"] == "cancelled"
    assert _available(client, sku) == (1, True)

    again = place_order(client, [line(sku, 1)], method["code"])
    assert again["status"] == "pending_payment"
    assert _available(client, sku) == (0, False)

    restocked = client.post(f"/v1/products/{sku}/restock", json={"quantity": 5})
    assert restocked.status_code == 200, restocked.text
    assert _available(client, sku) == (5, True)

    statuses = {o["id"]: o["status"] for o in get_json(client, "/v1/orders")["items"]}
    assert statuses == {first["id"]: "shipped", second["id"]: "cancelled",
                        again["id"]: "pending_payment"}


def test_concurrent_orders_on_two_workers_never_oversell(start_server: StartServer) -> None:
    client = start_server(workers=2)
    method = create_shipping_method(client)
    sandals = create_product(client, stock=3)
    body = order_body([line(sandals["sku"], 1)], method["code"])
    buyers = 12
    together = threading.Barrier(buyers)

    def buy(_: int) -> httpx.Response:
        together.wait(timeout=30)
        return client.post("/v1/orders", json=body)

    with ThreadPoolExecutor(max_workers=buyers) as pool:
        responses = list(pool.map(buy, range(buyers)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 3 + [409] * 9, [r.text for r in responses if r.status_code >= 500]
    for refused in (r for r in responses if r.status_code == 409):
        assert_problem(refused, 409)
    assert _available(client, sandals["sku"]) == (0, False)
    orders = get_json(client, "/v1/orders")["items"]
    assert sorted(o["number"] for o in orders) == [1, 2, 3]
