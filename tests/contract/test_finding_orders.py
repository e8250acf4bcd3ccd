"""One search for orders, read as views (the back office) or as documents (the API)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from order_service.application import queries
from order_service.application.access import Principal, Role
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.views import OrderFilter
from order_service.domain.payment_instructions import TransferTerms
from order_service.domain.values import Customer
from tests.conftest import STORAGES
from tests.integration.builders import add_product, add_shipping_method, order_of

pytestmark = pytest.mark.parametrize("backend", STORAGES)

MERCHANT = Principal(key_id="merchant-key", name="merchant", role=Role.MERCHANT)
CUSTOMERS = [Customer("Ana García", "ana@example.com"), Customer("ÁLVARO GARCÍA", "al@x.es"),
             Customer("Luis Pérez", "luis.garcia@example.org"), Customer("Zoe", "zoe@x.es")]


@pytest.mark.parametrize(("search", "expected"), [
    ("garcía", [1, 0]), ("GARCIA", [2]), ("álvaro", [1]), ("#4", [3]), ("x.es", [3, 1]),
])
def test_the_back_office_and_the_api_find_the_same_orders(
    shop: Shop, context: CommandContext, search: str, expected: list[int]
) -> None:
    sku, method = add_product(shop, context, stock=10), add_shipping_method(shop, context)
    placed = [shop.place_order(replace(order_of([(sku, 1)], method), customer=customer),
                               context) for customer in CUSTOMERS]
    where = OrderFilter(search=search)

    views = queries.list_orders(shop.storage, where, limit=10, before_number=None)
    documents = queries.list_order_documents(shop.storage, where, viewer=MERCHANT, limit=10,
                                             before_number=None, transfer=TransferTerms())

    wanted = [str(placed[index].id) for index in expected]
    assert [str(order.id) for order in views.orders] == wanted
    assert [json.loads(document)["id"] for document in documents.documents] == wanted
    assert sum(queries.count_by_status(shop.storage, where).values()) == len(expected)
