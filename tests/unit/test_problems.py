"""How each refusal of the shop is answered: api.problems.error_response, without a request.

Every kind of refusal gets its own status and problem type, its message as the detail
(a sentence), and the members and headers a client can act on. That a refused request
is sent this answer as application/problem+json is tests/e2e's, one request per kind of
answer (test_api_orders, test_api_catalogue, test_idempotency, test_faults). What the
shop refuses, and that a refusal stores nothing, is test_shop_refusals.py's.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest

from order_service.api.problems import DOMAIN_PROBLEMS, PROBLEM_JSON, error_response
from order_service.application.errors import (
    ConcurrencyConflict,
    IdempotencyKeyReused,
    StorageUnavailable,
)
from order_service.domain.errors import (
    CurrencyMismatch,
    EmptyOrder,
    IllegalTransition,
    InvalidPrice,
    InvalidQuantity,
    InvalidRefund,
    NotOnOrder,
    OrderChangedMeanwhile,
    OrderNotFound,
    OrderTooLarge,
    OutOfStock,
    ProductAlreadyExists,
    ProductNotFound,
    ProductsRetired,
    QuantityTooLarge,
    RefundExceedsSold,
    RefundExceedsTotal,
    ShippingMethodAlreadyExists,
    ShippingMethodNotFound,
    Shortage,
    StaleOrderVersion,
    UnknownPaymentMethod,
    UnknownProducts,
    UnknownShippingMethod,
)
from order_service.domain.values import OrderStatus

ORDER_ID = UUID("7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10")
# (a refusal, its status, its problem type's slug)
KINDS: list[tuple[Exception, int, str]] = [
    (OrderNotFound(ORDER_ID), 404, "order-not-found"),
    (ProductNotFound("GHOST-SKU-1"), 404, "product-not-found"),
    (ShippingMethodNotFound("teleport"), 404, "shipping-method-not-found"),
    (OutOfStock([Shortage("SANDAL-42", 3, 1)]), 409, "out-of-stock"),
    (IllegalTransition(ORDER_ID, OrderStatus.SHIPPED, "cancel", "it has left the warehouse"),
     409, "illegal-transition"),
    (OrderChangedMeanwhile(ORDER_ID, OrderStatus.PAID, "cancel"), 409, "changed-meanwhile"),
    (StaleOrderVersion(ORDER_ID, 1, 2), 412, "stale-version"),
    (ProductAlreadyExists("SANDAL-42"), 409, "product-exists"),
    (ShippingMethodAlreadyExists("postnl"), 409, "shipping-method-exists"),
    (UnknownProducts(["GHOST-SKU-1"]), 422, "unknown-product"),
    (UnknownShippingMethod("teleport", ["postnl"]), 422, "unknown-shipping-method"),
    (UnknownPaymentMethod("paypal", ["card", "bank_transfer"]), 422, "unknown-payment-method"),
    (CurrencyMismatch("USD", "EUR"), 422, "currency-mismatch"),
    (InvalidQuantity("a restock", 0), 422, "invalid-quantity"),
    (InvalidPrice(-1), 422, "invalid-price"),
    (QuantityTooLarge("SANDAL-42", 2_000_000, 1_000_000), 422, "quantity-too-large"),
    (OrderTooLarge(10**15 + 1, 10**15), 422, "order-too-large"),
    (EmptyOrder(), 422, "empty-order"),
    (ProductsRetired(["SANDAL-42"]), 409, "product-retired"),
    (RefundExceedsTotal(ORDER_ID, 5_000, 1_647, "EUR"), 409, "refund-exceeds-total"),
    (RefundExceedsSold(ORDER_ID, "SANDAL-42", 2, 1), 409, "refund-exceeds-sold"),
    (NotOnOrder(ORDER_ID, ["BELT-90"]), 422, "not-on-order"),
    (InvalidRefund("restock needs the lines whose goods go back to stock"), 422,
     "invalid-refund"),
    (ConcurrencyConflict(f"order-{ORDER_ID}", 3), 409, "concurrent-change"),
    (IdempotencyKeyReused("order-1"), 422, "idempotency-key-reused"),
    (StorageUnavailable("connection refused"), 503, "unavailable"),
]


def _answer(error: Exception) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = error_response(error)
    assert response.media_type == PROBLEM_JSON
    return response.status_code, json.loads(bytes(response.body)), dict(response.headers)


def test_every_kind_of_refusal_the_api_maps_is_in_this_table() -> None:
    assert {type(error) for error, _, _ in KINDS} == {kind for kind, _ in DOMAIN_PROBLEMS}


@pytest.mark.parametrize(("error", "status", "slug"), KINDS,
                         ids=[slug for _, _, slug in KINDS])
def test_each_refusal_has_its_status_and_problem_type_and_its_message_in_the_detail(
    error: Exception, status: int, slug: str,
) -> None:
    answered, problem, _ = _answer(error)

    assert answered == problem["status"] == status
    assert problem["type"] == f"urn:order-service:problem:{slug}"
    assert problem["title"]
    assert str(error)[1:] in problem["detail"]  # begun with a capital, as a sentence
    assert problem["detail"][0].isupper()
    assert problem["detail"].endswith(".")


def test_out_of_stock_lists_each_short_sku_with_what_was_asked_and_what_is_left() -> None:
    error = OutOfStock([Shortage("BOOT-38", 3, 1), Shortage("SANDAL-42", 1, 0)])

    _, problem, _ = _answer(error)

    assert problem["out_of_stock"] == [
        {"sku": "BOOT-38", "requested": 3, "available": 1},
        {"sku": "SANDAL-42", "requested": 1, "available": 0}]
    assert "BOOT-38" in problem["detail"]
    assert "SANDAL-42" in problem["detail"]


@pytest.mark.parametrize("error", [
    IllegalTransition(ORDER_ID, OrderStatus.PENDING_PAYMENT, "ship", "it is not paid"),
    OrderChangedMeanwhile(ORDER_ID, OrderStatus.PENDING_PAYMENT, "ship"),
], ids=["illegal-transition", "changed-meanwhile"])
def test_a_change_the_order_refuses_names_the_order_its_status_and_the_change(
    error: Exception,
) -> None:
    _, problem, _ = _answer(error)

    assert (problem["order_id"], problem["current_status"], problem["action"]) == (
        str(ORDER_ID), "pending_payment", "ship")
    assert "pending_payment" in problem["detail"]


def test_a_stale_if_match_gets_both_versions_and_the_current_one_as_etag() -> None:
    _, problem, headers = _answer(StaleOrderVersion(ORDER_ID, expected=1, current=2))

    assert (problem["current_version"], problem["expected_version"]) == (2, 1)
    assert headers["etag"] == '"2"'


def test_unknown_skus_are_listed() -> None:
    _, problem, _ = _answer(UnknownProducts(["GHOST-SKU-1", "GHOST-SKU-2"]))

    assert problem["skus"] == ["GHOST-SKU-1", "GHOST-SKU-2"]


def test_a_reused_idempotency_key_is_quoted() -> None:
    _, problem, _ = _answer(IdempotencyKeyReused("order-1"))

    assert problem["idempotency_key"] == "order-1"
    assert problem["detail"] == ("The Idempotency-Key 'order-1' was already used for a "
                                 "different request; use a new key for a new request.")


def test_an_unavailable_database_says_to_retry_and_when() -> None:
    _, problem, headers = _answer(StorageUnavailable("connection refused"))

    assert headers["retry-after"] == "2"
    assert problem["detail"] == ("The database is unavailable (connection refused); retry in "
                                 "a few seconds.")


def test_an_error_of_no_known_kind_is_a_500_that_tells_nothing_of_it() -> None:
    answered, problem, _ = _answer(RuntimeError("SELECT secret FROM keys"))

    assert answered == 500
    assert problem["type"] == "urn:order-service:problem:internal-error"
    assert "SELECT" not in json.dumps(problem)
