"""Whose orders a key sees, on every storage: a storefront only those it placed.

That the answer to a hidden order is the 404 of a missing one is tests/e2e/test_auth.py's.
"""

from __future__ import annotations

import json
from uuid import UUID, uuid4

import pytest

from order_service.application.access import Principal, Role
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.queries import (
    ThreadedOrderDocuments,
    get_order,
    read_order_document,
    read_order_documents,
)
from order_service.application.views import OrderFilter, OrderView
from order_service.domain.errors import OrderNotFound
from order_service.domain.payment_instructions import TransferTerms
from tests.conftest import STORAGES
from tests.integration.builders import add_product, add_shipping_method, order_of
from tests.jetstream import run_async

pytestmark = pytest.mark.parametrize("backend", STORAGES)

TILL = Principal(key_id="key-till", name="till", role=Role.STOREFRONT)
MERCHANT = Principal(key_id="key-office", name="office", role=Role.MERCHANT)


def placed_by(shop: Shop, context: CommandContext, *key_ids: str) -> list[OrderView]:
    """One order placed with each API key."""
    sku, method = add_product(shop, context, stock=10), add_shipping_method(shop, context)
    return [shop.place_order(order_of([(sku, 1)], method), CommandContext(
        context.correlation_id, context.caused_by, api_key_id=key_id)) for key_id in key_ids]


def document_of(shop: Shop, order_id: UUID, viewer: Principal) -> UUID:
    """The id in the order's document as `viewer` reads it the way GET does."""
    document = run_async(read_order_document(ThreadedOrderDocuments(shop.storage), order_id,
                                               viewer, TransferTerms()))
    return UUID(json.loads(document.document)["id"])


def test_a_storefront_sees_the_order_it_placed(shop: Shop, context: CommandContext) -> None:
    (mine,) = placed_by(shop, context, TILL.key_id)

    assert get_order(shop.storage, mine.id, TILL) == mine
    assert document_of(shop, mine.id, TILL) == mine.id


def test_a_storefront_is_told_another_keys_order_does_not_exist(
    shop: Shop, context: CommandContext
) -> None:
    others = placed_by(shop, context, "key-other-till", MERCHANT.key_id)

    for order_id in [order.id for order in others] + [uuid4()]:
        with pytest.raises(OrderNotFound):
            get_order(shop.storage, order_id, TILL)
        with pytest.raises(OrderNotFound):
            document_of(shop, order_id, TILL)


def test_a_merchant_sees_every_order_whoever_placed_it(
    shop: Shop, context: CommandContext
) -> None:
    placed = placed_by(shop, context, TILL.key_id, "key-other-till", MERCHANT.key_id)

    assert [get_order(shop.storage, order.id, MERCHANT) for order in placed] == placed
    assert [document_of(shop, order.id, MERCHANT) for order in placed] == [
        order.id for order in placed]


def test_a_storefronts_list_holds_only_the_orders_it_placed(
    shop: Shop, context: CommandContext
) -> None:
    placed = placed_by(shop, context, TILL.key_id, MERCHANT.key_id, TILL.key_id)

    def listed(viewer: Principal) -> int:
        page = run_async(read_order_documents(
            ThreadedOrderDocuments(shop.storage), OrderFilter(), viewer=viewer, limit=10,
            before_number=None, transfer=TransferTerms()))
        return len(page.documents)

    assert (listed(TILL), listed(MERCHANT)) == (2, 3)
    assert placed[0].placed_by == TILL.key_id
