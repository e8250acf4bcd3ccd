"""The sandals story against a real `order-service serve` process, over real TCP.

The server is the installed command, configured only through its environment, started in
an empty working directory; each test gets its own database. Whatever the server wrote is
printed when the test ends, so a failing test shows it.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.e2e.builders import (
    create_product,
    create_shipping_method,
    get_json,
    line,
    order_body,
    place_order,
)
from tests.e2e.expectations import assert_problem
from tests.servers import StartServer


def _available(client: httpx.Client, sku: str) -> tuple[int, bool]:
    product = get_json(client, f"/v1/products/{sku}")
    return product["available"], product["in_stock"]


def test_the_sandals_story_holds_over_a_real_server(start_server: StartServer) -> None:
    client = start_server().client
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
    client = start_server(workers=2).client
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
