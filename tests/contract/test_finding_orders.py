"""One search for orders, read as views (the back office), as the API list's documents, or as
the export's documents built by the database."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from order_service.application import queries
from order_service.application.access import Principal, Role
from order_service.application.commands import PayOrder
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.views import OrderDocumentPage, OrderFilter
from order_service.bootstrap import opened_event_loop_path
from order_service.domain.payment_instructions import TransferTerms
from order_service.domain.values import Customer, OrderStatus
from order_service.settings import Settings
from tests.conftest import STORAGES
from tests.integration.builders import add_product, add_shipping_method, order_of
from tests.jetstream import run_async

pytestmark = pytest.mark.parametrize("backend", STORAGES)

MERCHANT = Principal(key_id="merchant-key", name="merchant", role=Role.MERCHANT)
STOREFRONT = Principal(key_id="storefront-key", name="storefront", role=Role.STOREFRONT)
# Order numbers 1..10, in this order; the storefront placed 5 and 6, and 2 is paid.
CUSTOMERS = [Customer("Ana García", "ana@example.com"), Customer("ÁLVARO GARCÍA", "al@x.es"),
             Customer("Luis Pérez", "luis.garcia@Example.org"), Customer("Zoe", "zoe@x.es"),
             Customer("100% Cotton Ltd", "Ana@Example.com"),
             Customer("Cotton 100 Ltd", "ana@example.com.mx"),
             Customer("ANA MARÍA", "ana@example.com"),
             Customer("Bob Smith", "Bob_Smith@Shop.example.ORG"),
             Customer("Bobby", "bobXsmith@shop.example.org"), Customer("Ömer Çelik", "oc@x.net")]
BY_STOREFRONT = {5, 6}


@pytest.fixture
def api_settings(backend: str, request: pytest.FixtureRequest) -> Settings:
    """The database's settings, for the API's own pool of connections on PostgreSQL."""
    return Settings() if backend == "memory" else request.getfixturevalue("settings")


@pytest.mark.parametrize(("where", "viewer", "expected"), [
    (OrderFilter(search="garcía"), MERCHANT, [2, 1]),
    (OrderFilter(search="GARCIA@example"), MERCHANT, [3]),
    (OrderFilter(search="álvaro"), MERCHANT, [2]),
    (OrderFilter(search="maría"), MERCHANT, [7]),
    (OrderFilter(search="#4"), MERCHANT, [4]),
    (OrderFilter(search="4"), MERCHANT, [4]),
    (OrderFilter(search="x.es"), MERCHANT, [4, 2]),
    (OrderFilter(search="100%"), MERCHANT, [5]),
    (OrderFilter(search="_"), MERCHANT, [8]),
    (OrderFilter(search="b_S"), MERCHANT, [8]),
    (OrderFilter(search="SHOP.example"), MERCHANT, [9, 8]),
    (OrderFilter(search="ömer çelik"), MERCHANT, [10]),
    (OrderFilter(search="çELIK"), MERCHANT, [10]),
    (OrderFilter(search="  "), MERCHANT, [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]),
    (OrderFilter(search="a", statuses=frozenset({OrderStatus.PAID})), MERCHANT, [2]),
    (OrderFilter(customer_email="ANA@example.COM"), MERCHANT, [7, 5, 1]),
    (OrderFilter(customer_email="ana@example.co"), MERCHANT, []),
    (OrderFilter(), STOREFRONT, [6, 5]),
    (OrderFilter(customer_email="ana@example.com"), STOREFRONT, [5]),
    (OrderFilter(search="ana"), STOREFRONT, [6, 5]),
    (OrderFilter(search="2"), STOREFRONT, []),
], ids=["name-any-case", "email-part-any-case", "accented-capital", "name-only", "number",
        "number-without-hash", "email-part", "like-percent-is-plain", "like-underscore-is-plain",
        "underscore-between-letters", "email-domain", "other-accents", "other-accents-capitals",
        "blank-is-every-order", "with-status", "customer-email-any-case",
        "customer-email-is-whole", "storefront-sees-its-own", "storefront-customer-history",
        "storefront-searches-its-own", "storefront-misses-the-merchants-number"])
def test_the_back_office_and_the_api_find_the_same_orders(
    shop: Shop, api_settings: Settings, context: CommandContext, *, where: OrderFilter,
    viewer: Principal, expected: list[int]
) -> None:
    sku, method = add_product(shop, context, stock=10), add_shipping_method(shop, context)
    storefront = replace(context, api_key_id=STOREFRONT.key_id)
    placed = [shop.place_order(replace(order_of([(sku, 1)], method), customer=customer),
                               storefront if number in BY_STOREFRONT else context)
              for number, customer in enumerate(CUSTOMERS, start=1)]
    shop.pay_order(PayOrder(placed[1].id), context)
    seen = where if viewer is MERCHANT else replace(where, placed_by=viewer.key_id)

    views = queries.list_orders(shop.storage, seen, limit=20, before_number=None)
    listed = run_async(_listed(api_settings, shop, where, viewer))
    with queries.documents_in(shop.storage, seen, queries.EVERYTHING,
                              TransferTerms()) as documents:
        exported = [json.loads(document)["number"] for document in documents]

    assert [order.number for order in views.orders] == expected
    assert [json.loads(document)["number"] for document in listed.documents] == expected
    assert exported == sorted(expected)
    counts = queries.count_by_status(shop.storage, seen)
    assert sum(n for status, n in counts.items()
               if status in (where.statuses or OrderStatus)) == len(expected)


def test_a_number_is_found_whole_not_as_digits_of_other_numbers(
    shop: Shop, context: CommandContext
) -> None:
    sku, method = add_product(shop, context, stock=20), add_shipping_method(shop, context)
    for _ in range(12):
        shop.place_order(order_of([(sku, 1)], method), context)

    def found(search: str) -> list[int]:
        page = queries.list_orders(shop.storage, OrderFilter(search=search), limit=20,
                                   before_number=None)
        return [order.number for order in page.orders]

    assert (found("1"), found("#1"), found("11")) == ([1], [1], [11])


async def _listed(settings: Settings, shop: Shop, where: OrderFilter, viewer: Principal
                  ) -> OrderDocumentPage:
    """The page the API's list route reads (on the event loop on PostgreSQL)."""
    async with opened_event_loop_path(settings, shop) as event_loop:
        documents = event_loop.documents
        return await queries.read_order_documents(
            documents, where, viewer=viewer, limit=20, before_number=None,
            transfer=TransferTerms())
