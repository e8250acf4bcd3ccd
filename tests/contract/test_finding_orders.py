"""One search for orders, read as views (the back office) or as documents (the API)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from order_service.application import queries
from order_service.application.access import Principal, Role
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.views import OrderDocumentPage, OrderFilter
from order_service.bootstrap import open_order_documents
from order_service.domain.payment_instructions import TransferTerms
from order_service.domain.values import Customer
from order_service.settings import Settings
from tests.conftest import STORAGES
from tests.integration.builders import add_product, add_shipping_method, order_of
from tests.jetstream import run_async

pytestmark = pytest.mark.parametrize("backend", STORAGES)

MERCHANT = Principal(key_id="merchant-key", name="merchant", role=Role.MERCHANT)
CUSTOMERS = [Customer("Ana García", "ana@example.com"), Customer("ÁLVARO GARCÍA", "al@x.es"),
             Customer("Luis Pérez", "luis.garcia@example.org"), Customer("Zoe", "zoe@x.es")]


@pytest.fixture
def api_settings(backend: str, request: pytest.FixtureRequest) -> Settings:
    """The database's settings, for the API's own pool of connections on PostgreSQL."""
    return Settings() if backend == "memory" else request.getfixturevalue("settings")


@pytest.mark.parametrize(("search", "expected"), [
    ("garcía", [1, 0]), ("GARCIA", [2]), ("álvaro", [1]), ("#4", [3]), ("x.es", [3, 1]),
])
def test_the_back_office_and_the_api_find_the_same_orders(
    shop: Shop, api_settings: Settings, context: CommandContext, search: str,
    expected: list[int]
) -> None:
    sku, method = add_product(shop, context, stock=10), add_shipping_method(shop, context)
    placed = [shop.place_order(replace(order_of([(sku, 1)], method), customer=customer),
                               context) for customer in CUSTOMERS]
    where = OrderFilter(search=search)

    views = queries.list_orders(shop.storage, where, limit=10, before_number=None)
    documents = run_async(_listed(api_settings, shop, where))

    wanted = [str(placed[index].id) for index in expected]
    assert [str(order.id) for order in views.orders] == wanted
    assert [json.loads(document)["id"] for document in documents.documents] == wanted
    assert sum(queries.count_by_status(shop.storage, where).values()) == len(expected)


async def _listed(settings: Settings, shop: Shop, where: OrderFilter) -> OrderDocumentPage:
    """The page the API's list route reads (on the event loop on PostgreSQL)."""
    async with open_order_documents(settings, shop.storage) as documents:
        return await queries.read_order_documents(
            documents, where, viewer=MERCHANT, limit=10, before_number=None,
            transfer=TransferTerms())
