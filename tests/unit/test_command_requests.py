"""What a command request is to its Idempotency-Key: api.idempotency.command_request.

A retry is the same request when it asks for the same thing: the same method, route and
ids (however an id is spelled) and the same JSON (however spaced or ordered); anything
else sent under the key is another request, which the shop refuses (tests/unit/test_shop.py,
tests/contract/test_hot_commands.py) and the API answers 422 (tests/e2e/test_idempotency.py).
Each request here is matched to the app's own route as Starlette matches it, and read as
that route reads it; no server, no database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import Message

from order_service.api.app import create_app
from order_service.api.errors import BadIdempotencyKey
from order_service.api.idempotency import CommandRequest, command_request
from order_service.application.access import Principal, Role
from order_service.settings import Settings
from tests.jetstream import run_async

APP = create_app(Settings(database_url="sqlite:///never-opened.db"))
TILL = Principal("key-till", "till", Role.MERCHANT)
ORDER_ID = "7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10"
RESTOCK = {"quantity": 3}


def _leaves(routes: list[Any]) -> Iterator[APIRoute]:
    """The app's API routes, in included routers too (whose paths are whole)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _leaves(included.routes)
        elif isinstance(route, APIRoute):
            yield route


ROUTES = list(_leaves(APP.router.routes))


def read(method: str, path: str, body: bytes = b"", *, key: str | None = "retry-1",
         principal: Principal = TILL) -> CommandRequest:
    """The command request the route of `method path` reads from this request."""
    headers = [(b"content-type", b"application/json")]
    if key is not None:
        headers.append((b"idempotency-key", key.encode()))
    scope: dict[str, Any] = {"type": "http", "method": method, "path": path,
                             "raw_path": path.encode(), "root_path": "", "query_string": b"",
                             "headers": headers, "app": APP}
    matched = [child for route in ROUTES
               for match, child in [route.matches(scope)] if match is Match.FULL]
    assert matched, f"no route takes {method} {path}"
    scope.update(matched[0])

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    # On a thread of its own: a browser test leaves an event loop running on this one.
    return run_async(command_request(Request(scope, receive), principal))


def _json(value: Any, **options: Any) -> bytes:
    return json.dumps(value, **options).encode()


# -- the same request again ---------------------------------------------------------------


def test_the_same_json_in_another_key_order_and_spacing_is_the_same_request() -> None:
    body = {"sku": "SANDAL-42", "name": "Sandal", "price": 1250, "stock": 3}

    first = read("POST", "/v1/products", _json(body))
    respaced = read("POST", "/v1/products", _json(dict(reversed(body.items())), indent=3))

    assert (respaced.key, respaced.fingerprint) == (first.key, first.fingerprint)


@pytest.mark.parametrize("spelling", [
    ORDER_ID.upper(), ORDER_ID.replace("-", ""), "{" + ORDER_ID + "}",
], ids=["upper-case", "without-dashes", "in-braces"])
def test_an_order_id_spelled_another_way_is_the_same_request(spelling: str) -> None:
    body = _json({"payment_reference": "TR-88213"})

    first = read("POST", f"/v1/orders/{ORDER_ID}/pay", body)
    respelled = read("POST", f"/v1/orders/{spelling}/pay", body)

    assert respelled.fingerprint == first.fingerprint


def test_a_sku_of_32_hex_digits_is_not_read_as_an_order_id() -> None:
    sku = ORDER_ID.replace("-", "")

    as_sent = read("POST", f"/v1/products/{sku}/restock", _json(RESTOCK))
    as_a_uuid = read("POST", f"/v1/products/{ORDER_ID}/restock", _json(RESTOCK))

    assert as_sent.fingerprint != as_a_uuid.fingerprint


# -- another request under the key ------------------------------------------------------


@pytest.mark.parametrize(("path", "body"), [
    ("/v1/products/SANDAL-42/restock", {"quantity": 4}),
    ("/v1/products/BOOT-38/restock", RESTOCK),
    (f"/v1/orders/{ORDER_ID}/pay", RESTOCK),
], ids=["another-body", "another-product", "another-route"])
def test_another_body_product_or_route_under_the_key_is_another_request(
    path: str, body: Any,
) -> None:
    first = read("POST", "/v1/products/SANDAL-42/restock", _json(RESTOCK))

    other = read("POST", path, _json(body))

    assert other.fingerprint != first.fingerprint


def test_paying_another_order_under_the_key_is_another_request() -> None:
    first = read("POST", f"/v1/orders/{ORDER_ID}/pay")

    other = read("POST", "/v1/orders/0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d/pay")

    assert other.fingerprint != first.fingerprint


# -- whose key --------------------------------------------------------------------------


def test_two_api_keys_sending_the_same_idempotency_key_hold_keys_of_their_own() -> None:
    other = Principal("key-web", "web", Role.MERCHANT)

    mine = read("POST", "/v1/products", _json({"sku": "A"}), key="order-1")
    theirs = read("POST", "/v1/products", _json({"sku": "A"}), key="order-1", principal=other)

    assert mine.key != theirs.key
    assert read("POST", "/v1/products", _json({"sku": "A"}), key="order-1").key == mine.key


def test_the_key_is_kept_only_as_a_hash_of_the_api_key_and_the_key() -> None:
    sent = read("POST", "/v1/products", _json({"sku": "A"}), key="order-1")

    assert sent.key is not None
    assert "order-1" not in sent.key
    assert len(sent.key) == 64


def test_a_request_without_a_key_has_none() -> None:
    assert read("POST", "/v1/products", _json({"sku": "A"}), key=None).key is None


# -- unusable keys ----------------------------------------------------------------------


def test_a_key_of_255_characters_is_taken() -> None:
    assert read("POST", "/v1/products", key="k" * 255).key is not None


@pytest.mark.parametrize("key", ["k" * 256, "", "caf\u00e9", "tab\there", " padded"],
                         ids=["256-characters", "empty", "non-ascii", "control", "space"])
def test_a_key_that_is_not_1_to_255_visible_ascii_characters_is_refused(key: str) -> None:
    with pytest.raises(BadIdempotencyKey, match="1 to 255 visible ASCII characters"):
        read("POST", "/v1/products", key=key)
