"""Request bodies a storefront would send, and the few calls every HTTP test makes.

Every SKU and shipping-method code is generated, so tests never share names. The
functions that call the API take an httpx.Client: the in-process TestClient (a subclass)
or one speaking TCP to a real server.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

JsonObject = dict[str, Any]


def unique_sku(prefix: str = "SKU") -> str:
    """A SKU no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


def unique_code(prefix: str = "ship") -> str:
    """A shipping-method code no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def product_body(**overrides: Any) -> JsonObject:
    """A valid new product with a unique SKU; keyword arguments replace fields."""
    body: JsonObject = {
        "sku": unique_sku(),
        "name": "Leather sandals, size 42",
        "price": 4990,
        "stock": 10,
    }
    return {**body, **overrides}


def shipping_method_body(**overrides: Any) -> JsonObject:
    """A valid new shipping method with a unique code; keyword arguments replace fields."""
    body: JsonObject = {"code": unique_code(), "name": "Standard (3-5 days)", "price": 495}
    return {**body, **overrides}


def address(**overrides: Any) -> JsonObject:
    """A valid postal address; keyword arguments replace fields."""
    body: JsonObject = {
        "name": "Ana García",
        "line1": "Calle Mayor 1",
        "line2": "3º B",
        "city": "Madrid",
        "region": "Madrid",
        "postal_code": "28013",
        "country": "ES",
    }
    return {**body, **overrides}


def customer(**overrides: Any) -> JsonObject:
    """A valid customer; keyword arguments replace fields."""
    body: JsonObject = {"name": "Ana García", "email": "ana@example.com",
                        "phone": "+34 600 000 000"}
    return {**body, **overrides}


def line(sku: str, quantity: int = 1, **extra: Any) -> JsonObject:
    """One order line."""
    return {"sku": sku, "quantity": quantity, **extra}


def order_body(
    lines: list[JsonObject], shipping_method: str, **overrides: Any
) -> JsonObject:
    """A valid order for `lines` shipped by `shipping_method`; keyword arguments replace fields."""
    body: JsonObject = {
        "customer": customer(),
        "lines": lines,
        "shipping_address": address(),
        "billing_address": address(name="Ana García (billing)", line1="Gran Vía 2",
                                   line2=None, region=None, postal_code="28014"),
        "payment_method": "card",
        "shipping_method": shipping_method,
    }
    return {**body, **overrides}


def _created(response: httpx.Response) -> JsonObject:
    assert response.status_code == 201, response.text
    created: JsonObject = response.json()
    return created


def create_product(client: httpx.Client, **fields: Any) -> JsonObject:
    """Add a product (unique SKU unless given) and return it as the API answered."""
    return _created(client.post("/v1/products", json=product_body(**fields)))


def create_shipping_method(client: httpx.Client, **fields: Any) -> JsonObject:
    """Add a shipping method (unique code unless given) and return it as answered."""
    return _created(client.post("/v1/shipping-methods", json=shipping_method_body(**fields)))


def place_order(
    client: httpx.Client, lines: list[JsonObject], shipping_method: str, **overrides: Any
) -> JsonObject:
    """Place an order that must be accepted, and return it as the API answered."""
    return _created(
        client.post("/v1/orders", json=order_body(lines, shipping_method, **overrides))
    )


def get_json(client: httpx.Client, url: str, **kwargs: Any) -> Any:
    """GET a resource that must exist and return its JSON."""
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()
