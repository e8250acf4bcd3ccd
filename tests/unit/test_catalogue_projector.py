"""The catalogue and stock read model, as every storage keeps it: given an event, the
products and stock it makes."""

from __future__ import annotations

from uuid import uuid4

from order_service.domain.events import (
    OrderCancelled,
    OrderPaid,
    ProductAdded,
    ProductRestocked,
)
from order_service.domain.values import StockQuantity
from order_service.projections.catalogue_projector import (
    StockChange,
    added_product,
    stock_changes,
)
from tests.unit.examples import LATER, PLACED_AT, line, order_placed


def test_an_added_product_is_on_sale_with_its_opening_stock() -> None:
    product = added_product(ProductAdded(sku="HAT-STRAW", name="Straw hat", unit_price=2_450,
                                         currency="EUR", stock=4, added_at=PLACED_AT))

    assert (product.sku, product.price, product.currency, product.available) == (
        "HAT-STRAW", 2_450, "EUR", 4)
    assert product.added_at == product.updated_at == PLACED_AT


def test_a_placement_takes_each_line_in_sku_order_and_a_cancel_gives_it_back() -> None:
    order_id = uuid4()
    placed = order_placed(order_id, line("SANDAL-42", 2), line("BOOT-38", 1))
    cancelled = OrderCancelled(order_id=order_id, reason=None, cancelled_at=LATER,
                               returned_stock=(StockQuantity("SANDAL-42", 2),
                                               StockQuantity("BOOT-38", 1)))

    assert stock_changes(placed) == [StockChange("BOOT-38", -1, PLACED_AT),
                                     StockChange("SANDAL-42", -2, PLACED_AT)]
    assert stock_changes(cancelled) == [StockChange("BOOT-38", 1, LATER),
                                        StockChange("SANDAL-42", 2, LATER)]


def test_a_restock_adds_and_a_payment_leaves_stock_alone() -> None:
    restocked = ProductRestocked(sku="HAT-STRAW", quantity=5, restocked_at=LATER)

    assert stock_changes(restocked) == [StockChange("HAT-STRAW", 5, LATER)]
    assert stock_changes(OrderPaid(order_id=uuid4(), payment_reference=None,
                                   paid_at=LATER)) == []
