"""Every `Location` the API answers points at the thing made, readable by whoever made it.

The operations that send one are found in the OpenAPI document (each declares the
header), so a new one that this walk does not cover fails the first test. That a replayed
answer repeats its Location is tests/e2e/test_idempotency.py's, for every command.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient

from order_service.api.app import create_app
from order_service.settings import Settings
from tests.api_keys import bearer
from tests.e2e.builders import (
    JsonObject,
    create_product,
    create_shipping_method,
    line,
    order_body,
    product_body,
    shipping_method_body,
)

# A request to make something: its path and body (what it needs made first, made here).
Making = Callable[[httpx.Client], tuple[str, JsonObject]]


def _product(_client: httpx.Client) -> tuple[str, JsonObject]:
    return "/v1/products", product_body()


def _shipping_method(_client: httpx.Client) -> tuple[str, JsonObject]:
    return "/v1/shipping-methods", shipping_method_body()


def _order(client: httpx.Client) -> tuple[str, JsonObject]:
    sku = create_product(client)["sku"]
    return "/v1/orders", order_body([line(sku)], create_shipping_method(client)["code"])


# Every operation that answers with a Location, and how to make it answer one.
SENDERS: dict[str, Making] = {
    "POST /v1/products": _product,
    "POST /v1/shipping-methods": _shipping_method,
    "POST /v1/orders": _order,
}


def test_every_operation_that_declares_a_location_is_walked_here() -> None:
    document = create_app(Settings(database_url="sqlite:///never-opened.db")).openapi()
    declaring = {f"{method.upper()} {path}"
                 for path, item in document["paths"].items()
                 for method, operation in item.items()
                 for response in operation.get("responses", {}).values()
                 if "Location" in response.get("headers", {})}

    assert declaring == set(SENDERS)


@pytest.mark.parametrize("operation", sorted(SENDERS))
def test_the_location_of_what_was_made_reads_back_as_it_was_answered(
    client: TestClient, operation: str
) -> None:
    path, body = SENDERS[operation](client)
    made = client.post(path, json=body)
    assert made.status_code == 201, made.text

    found = client.get(made.headers["Location"])

    assert found.status_code == 200, found.text
    assert found.json() == made.json()


def test_the_order_a_storefront_placed_reads_back_at_its_location_with_its_key(
    client: TestClient, storefront_key: str
) -> None:
    sku = create_product(client)["sku"]
    method = create_shipping_method(client)["code"]
    storefront = bearer(storefront_key)
    placed = client.post("/v1/orders", json=order_body([line(sku)], method),
                         headers=storefront)

    found = client.get(placed.headers["Location"], headers=storefront)

    assert found.status_code == 200, found.text
    assert found.json() == placed.json()
    assert found.headers["ETag"] == placed.headers["ETag"]
