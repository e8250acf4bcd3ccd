"""One search for orders, read as views (the back office) or as documents (the API)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import Engine

from order_service.application import queries
from order_service.application.access import Principal, Role
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.views import OrderFilter
from order_service.domain.payment_instructions import TransferTerms
from order_service.domain.values import Customer
from order_service.projections.read_models import order_document_sql
from tests.integration.builders import add_product, add_shipping_method, order_of

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


def test_the_one_statement_document_sql_gives_what_the_queries_give(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the one-statement SQL is PostgreSQL's (an async route runs it)")
    sku, method = add_product(shop, context, stock=10), add_shipping_method(shop, context)
    placed = [shop.place_order(replace(order_of([(sku, 1)], method), customer=customer),
                               context) for customer in CUSTOMERS]
    transfer = TransferTerms()
    where = OrderFilter(search="garcía")
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        one = raw.execute(*order_document_sql(transfer, order_id=placed[0].id)).fetchone()
        page = raw.execute(*order_document_sql(transfer, where=where, limit=1,
                                               before=placed[1].number + 1)).fetchall()

    expected = queries.get_order_document(shop.storage, placed[0].id, MERCHANT, transfer)
    assert one is not None
    assert (json.loads(one[0]), one[1], one[2]) == (
        json.loads(expected.document), expected.version, expected.placed_by)
    listed = queries.list_order_documents(shop.storage, where, viewer=MERCHANT, limit=1,
                                          before_number=None, transfer=transfer)
    assert [(json.loads(document), number) for document, number in page] == [
        (json.loads(listed.documents[0]), placed[1].number)]
