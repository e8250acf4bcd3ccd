"""The read models every storage keeps: orders found, counted and summed alike."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from order_service.application import queries
from order_service.application.commands import CancelOrder, PayOrder, ShipOrder
from order_service.application.expiry import sweep_context
from order_service.application.export import order_record
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.views import Amounts, OrderFilter, OrderView, StatusFigures
from order_service.domain.payment_hold import PaymentHold
from order_service.domain.payment_instructions import BankAccount, TransferTerms
from order_service.domain.values import Customer, OrderStatus
from tests.conftest import STORAGES
from tests.integration.builders import add_product, add_shipping_method, order_of

pytestmark = pytest.mark.parametrize("backend", STORAGES)

DAY_ONE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def four_orders(shop: Shop, context: CommandContext) -> list[OrderView]:
    """Orders placed a day apart (pending, paid, shipped, cancelled), two customers."""
    sku, method = add_product(shop, context, stock=20, price=1_000), add_shipping_method(
        shop, context, price=500)
    placed = []
    for day, email in enumerate(["ana@example.com", "Luis@Example.org"] * 2):
        at = DAY_ONE + timedelta(days=day)
        command = replace(order_of([(sku, day + 1)], method),
                          customer=Customer(f"Buyer {day}", email))
        placed.append(replace(shop, clock=lambda at=at: at).place_order(command, context))
    shop.pay_order(PayOrder(placed[1].id), context)
    shop.pay_order(PayOrder(placed[2].id), context)
    shop.ship_order(ShipOrder(placed[2].id), context)
    shop.cancel_order(CancelOrder(placed[3].id), context)
    return placed


@pytest.mark.parametrize(("where", "expected"), [
    (OrderFilter(), [4, 3, 2, 1]),
    (OrderFilter(statuses=frozenset({OrderStatus.PAID, OrderStatus.SHIPPED})), [3, 2]),
    (OrderFilter(placed_from=DAY_ONE + timedelta(days=1)), [4, 3, 2]),
    (OrderFilter(placed_to=DAY_ONE + timedelta(days=1)), [1]),
    (OrderFilter(email_contains="EXAMPLE.ORG"), [4, 2]),
    (OrderFilter(customer_email="luis@example.org"), [4, 2]),
    (OrderFilter(search="buyer 2"), [3]),
    (OrderFilter(search="#1"), [1]),
    (OrderFilter(placed_by="someone-else"), []),
], ids=["all", "statuses", "placed-from", "placed-to", "email-contains", "customer-email",
        "search-name", "search-number", "placed-by"])
def test_orders_are_found_by_every_filter(
    shop: Shop, context: CommandContext, where: OrderFilter, expected: list[int]
) -> None:
    four_orders(shop, context)

    found = queries.list_orders(shop.storage, where, limit=10, before_number=None).orders

    assert [order.number for order in found] == expected
    assert queries.count_orders(shop.storage, where) == len(expected)


def test_an_order_is_found_by_its_receipt_number(shop: Shop, context: CommandContext) -> None:
    placed = four_orders(shop, context)

    with shop.storage.reading() as read_models:
        found = [read_models.order_numbered(number) for number in (1, 3, 5)]

    assert found == [queries.get_order(shop.storage, placed[0].id),
                     queries.get_order(shop.storage, placed[2].id), None]


def test_a_list_is_paged_newest_first_by_receipt_number(
    shop: Shop, context: CommandContext
) -> None:
    four_orders(shop, context)

    first = queries.list_orders(shop.storage, OrderFilter(), limit=3, before_number=None)
    rest = queries.list_orders(shop.storage, OrderFilter(), limit=3,
                               before_number=first.next_before)

    assert [o.number for o in first.orders] == [4, 3, 2]
    assert ([o.number for o in rest.orders], rest.next_before) == ([1], None)


def test_an_export_walks_the_orders_oldest_first_a_page_at_a_time(
    shop: Shop, context: CommandContext
) -> None:
    four_orders(shop, context)

    page = queries.export_page(shop.storage, OrderFilter(), after=0, limit=3)
    with queries.orders_in(shop.storage, OrderFilter(), page) as orders:
        first = [order.number for order in orders]
    last = queries.export_page(shop.storage, OrderFilter(), after=page.next_after or 0, limit=3)

    assert (first, page.next_after) == ([1, 2, 3], 3)
    assert (last.up_to, last.next_after) == (4, None)


def test_the_orders_an_export_page_streams_are_the_orders_as_get_reads_them(
    shop: Shop, context: CommandContext
) -> None:
    placed = four_orders(shop, context)  # one in each status
    cheap, dear = (add_product(shop, context, stock=9, price=price) for price in (99, 1_250))
    with_two_lines = shop.place_order(order_of(
        [(cheap, 5), (dear, 2)], add_shipping_method(shop, context, price=0)), context)

    with queries.orders_in(shop.storage, OrderFilter(), queries.EVERYTHING) as orders:
        streamed = list(orders)

    assert streamed == [queries.get_order(shop.storage, order.id)
                        for order in [*placed, with_two_lines]]


def test_orders_are_counted_and_summed_per_status(shop: Shop, context: CommandContext) -> None:
    placed = four_orders(shop, context)

    counts = queries.count_by_status(shop.storage, OrderFilter())
    report = queries.sales_report(shop.storage, OrderFilter(), placed[0].currency)

    assert counts == dict.fromkeys(OrderStatus, 1)
    assert report.collected == StatusFigures(2, sum(
        (Amounts(o.subtotal, o.shipping, o.tax, o.total) for o in placed[1:3]), Amounts()))
    assert report.pending.orders == 1
    assert queries.sales_report(shop.storage, OrderFilter(), "XXX").collected.orders == 0


def test_an_orders_document_is_the_order_as_the_api_shows_it(
    shop: Shop, context: CommandContext
) -> None:
    placed = four_orders(shop, context)
    transfer = TransferTerms()

    for order in placed:
        view = queries.get_order(shop.storage, order.id)
        with shop.storage.reading() as read_models:
            document = read_models.order_document(order.id, transfer)
        assert document is not None
        assert json.loads(document.document) == order_record(view, transfer)
        assert (document.version, document.placed_by) == (view.version, view.placed_by)


# What JSON must escape, and another script, in the shop's bank details.
BANK = TransferTerms(account=BankAccount(account_holder='Zapatería "Ana" \\ 1042 S.L.',
                                         iban="ES9121000418450200051332", bic="CAIXESBBXXX",
                                         bank_name="CaixaBank 東京"),
                     reference_template="Order {number}/EUR")


@pytest.mark.parametrize("transfer", [TransferTerms(), BANK], ids=["no-bank-details", "bank"])
@pytest.mark.parametrize("method", ["bank_transfer", "cash_on_delivery", "card", "paypal"])
def test_an_orders_documents_carry_the_payment_instructions_the_api_shows(
    shop: Shop, context: CommandContext, method: str, transfer: TransferTerms,
) -> None:
    sku, code = add_product(shop, context, stock=5), add_shipping_method(shop, context)
    placed = shop.place_order(order_of([(sku, 2)], code, payment_method=method), context)
    expected = order_record(queries.get_order(shop.storage, placed.id), transfer)

    with shop.storage.reading() as read_models:
        document = read_models.order_document(placed.id, transfer)
        listed = list(read_models.order_documents_between(0, None, OrderFilter(), transfer))

    assert document is not None
    assert [json.loads(document.document), *map(json.loads, listed)] == [expected] * 2


def test_an_orders_history_lists_its_events_oldest_first(
    shop: Shop, context: CommandContext
) -> None:
    shipped = four_orders(shop, context)[2]

    history = queries.order_history(shop.storage, shipped.id)

    assert [(event.version, event.type) for event in history] == [
        (1, "OrderPlaced"), (2, "OrderPaid"), (3, "OrderShipped")]
    assert history[0].data["number"] == 3
    assert [event.position for event in history] == sorted(e.position for e in history)


def test_the_sweeper_finds_the_unpaid_orders_past_the_hold_and_only_those(
    shop: Shop, context: CommandContext
) -> None:
    placed = four_orders(shop, context)
    sweeper = replace(shop, clock=lambda: DAY_ONE + timedelta(days=3, hours=12))

    assert sweeper.expire_pending_orders(PaymentHold.of_hours(72), sweep_context("test")) == 1

    expired = queries.get_order(shop.storage, placed[0].id)
    assert (expired.status, expired.cancel_reason) == (OrderStatus.CANCELLED, "payment_timeout")
