"""After the sale, the shop's use cases on the in-memory storage: corrections, refunds,
notes and catalogue changes, given events, when a command, then events and views."""

from __future__ import annotations

from uuid import uuid4

import pytest

from order_service.application.commands import (
    AddOrderNote,
    ChangeProduct,
    CorrectOrderDetails,
    PayOrder,
    PlaceOrder,
    RefundOrder,
    RetireProduct,
)
from order_service.application.ports import CommandContext
from order_service.domain.errors import (
    ProductsRetired,
    RefundExceedsTotal,
    StaleOrderVersion,
)
from order_service.domain.events import (
    AddressCorrection,
    OrderDetailsCorrected,
    OrderPaid,
    OrderRefunded,
    ProductRenamed,
    ProductRetired,
)
from order_service.domain.values import RequestedLine, StockQuantity
from tests.unit.examples import ADDRESS, CUSTOMER, LATER, NEW_ADDRESS, order_placed
from tests.unit.shop_given import CONTEXT, given, then
from tests.unit.test_shop import CATALOGUE, POSTNL, SANDAL

# An order of two sandals (3 in stock before it): 2,500 + 495 shipping = 2,995.
PAID_ORDER = 4


def test_a_refund_with_restock_puts_the_goods_back_and_shows_on_the_order() -> None:
    order_id = uuid4()
    shop, _ = given(*CATALOGUE, order_placed(order_id),
                    OrderPaid(order_id=order_id, payment_reference=None, paid_at=LATER))

    order = shop.refund_order(RefundOrder(order_id, 1_250, "one torn",
                                          (StockQuantity("SANDAL-42", 1),), restock=True),
                              CONTEXT)

    assert then(shop, PAID_ORDER) == [OrderRefunded(
        order_id=order_id, amount=1_250, currency="EUR", reason="one torn",
        lines=(StockQuantity("SANDAL-42", 1),),
        returned_stock=(StockQuantity("SANDAL-42", 1),), refunded_at=LATER)]
    assert (order.refunded, order.version, order.status.value) == (1_250, 3, "paid")
    assert [(r.amount, r.reason, r.refunded_at) for r in order.refunds] == [
        (1_250, "one torn", LATER)]
    with shop.storage.reading() as read_models:
        product = read_models.product("SANDAL-42")
    assert product is not None
    assert product.available == 2  # 3 - 2 sold + 1 back


def test_a_refund_past_what_is_left_stores_nothing() -> None:
    order_id = uuid4()
    shop, _ = given(*CATALOGUE, order_placed(order_id),
                    OrderPaid(order_id=order_id, payment_reference=None, paid_at=LATER))
    shop.refund_order(RefundOrder(order_id, 2_000, "most of it"), CONTEXT)

    with pytest.raises(RefundExceedsTotal) as refused:
        shop.refund_order(RefundOrder(order_id, 1_000, "the rest, and more"), CONTEXT)

    assert refused.value.refundable == 995
    assert len(then(shop, PAID_ORDER)) == 1


def test_a_correction_changes_the_order_and_records_old_and_new() -> None:
    order_id = uuid4()
    shop, _ = given(*CATALOGUE, order_placed(order_id))

    order = shop.correct_order(CorrectOrderDetails(order_id, 1, shipping_address=NEW_ADDRESS),
                               CONTEXT)

    assert then(shop, 3) == [OrderDetailsCorrected(
        order_id=order_id, shipping_address=AddressCorrection(ADDRESS, NEW_ADDRESS),
        corrected_at=LATER)]
    assert (order.shipping_address, order.billing_address, order.version) == (
        NEW_ADDRESS, ADDRESS, 2)


def test_a_correction_decided_on_an_older_version_is_refused() -> None:
    order_id = uuid4()
    shop, _ = given(*CATALOGUE, order_placed(order_id))
    shop.pay_order(PayOrder(order_id), CONTEXT)

    with pytest.raises(StaleOrderVersion):
        shop.correct_order(CorrectOrderDetails(order_id, 1, customer=CUSTOMER), CONTEXT)


def test_a_note_is_in_the_history_with_who_wrote_it() -> None:
    order_id = uuid4()
    shop, _ = given(*CATALOGUE, order_placed(order_id))
    by_merchant = CommandContext("corr-3", "api-key back-office: POST /v1/orders/{order_id}/notes")

    note = shop.add_order_note(AddOrderNote(order_id, "gift: no prices"), by_merchant)

    with shop.storage.reading() as read_models:
        history = read_models.order_history(order_id)
        order = read_models.order(order_id)
    assert (note.text, note.added_at, note.version) == ("gift: no prices", LATER, 2)
    assert [(event.type, event.by) for event in history][-1] == ("OrderNoteAdded",
                                                                "back-office")
    assert order is not None
    assert order.version == 2


def test_a_renamed_product_sells_under_its_new_name_and_old_orders_keep_theirs() -> None:
    order_id = uuid4()
    shop, _ = given(*CATALOGUE, order_placed(order_id))

    product = shop.change_product(ChangeProduct("SANDAL-42", name="Sandal 42, tan",
                                                price=1_490), CONTEXT)
    placed = shop.place_order(PlaceOrder(
        customer=CUSTOMER, lines=(RequestedLine("SANDAL-42", 1),), shipping_address=ADDRESS,
        billing_address=ADDRESS, payment_method="card", shipping_method=POSTNL.code), CONTEXT)

    assert (product.name, product.price) == ("Sandal 42, tan", 1_490)
    assert isinstance(then(shop, 3)[0], ProductRenamed)
    assert [(line.name, line.unit_price) for line in placed.lines] == [("Sandal 42, tan", 1_490)]
    with shop.storage.reading() as read_models:
        old = read_models.order(order_id)
    assert old is not None
    assert [line.name for line in old.lines] == ["Product SANDAL-42"]


def test_a_retired_product_is_refused_on_a_new_order() -> None:
    shop, _ = given(*CATALOGUE)

    product = shop.retire_product(RetireProduct(SANDAL.sku), CONTEXT)

    assert product.retired_at == LATER
    assert not product.in_stock
    assert then(shop, 2) == [ProductRetired(sku="SANDAL-42", retired_at=LATER)]
    with pytest.raises(ProductsRetired):
        shop.place_order(PlaceOrder(
            customer=CUSTOMER, lines=(RequestedLine("SANDAL-42", 1),),
            shipping_address=ADDRESS, billing_address=ADDRESS, payment_method="card",
            shipping_method=POSTNL.code), CONTEXT)
