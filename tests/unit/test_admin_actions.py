"""Which changes the back office offers an order: those its status allows and that would
change it. Given an order's events, when its page is drawn, then these buttons.

That the order page shows these buttons is tests/e2e/test_admin_pages.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

import pytest

from order_service.api.admin.order_actions import legal_actions
from order_service.application.commands import CancelOrder, PayOrder, ShipOrder
from order_service.application.handlers import Shop
from order_service.application.queries import get_order
from order_service.application.views import OrderView
from order_service.domain.events import ProductAdded, ShippingMethodAdded
from tests.unit.examples import LATER, PLACED_AT, order_placed
from tests.unit.shop_given import CONTEXT, given

SANDAL = ProductAdded(sku="SANDAL-42", name="Sandal 42", unit_price=1_250, currency="EUR",
                      stock=3, added_at=PLACED_AT)
POSTNL = ShippingMethodAdded(code="postnl", name="PostNL", price=495, currency="EUR",
                             added_at=PLACED_AT)


def _paid(shop: Shop, order: OrderView) -> OrderView:
    return shop.pay_order(PayOrder(order.id), CONTEXT)


def _shipped(shop: Shop, order: OrderView) -> OrderView:
    return shop.ship_order(ShipOrder(_paid(shop, order).id), CONTEXT)


def _cancelled(shop: Shop, order: OrderView) -> OrderView:
    return shop.cancel_order(CancelOrder(order.id), CONTEXT)


@pytest.mark.parametrize(("moved", "buttons"), [
    (lambda _shop, order: order, ["Mark as paid", "Mark as cancelled"]),
    (_paid, ["Mark as shipped", "Mark as cancelled"]),
    (_shipped, []),
    (_cancelled, []),
], ids=["pending_payment", "paid", "shipped", "cancelled"])
def test_only_the_changes_the_orders_status_allows_are_offered(
    moved: Callable[[Shop, OrderView], OrderView], buttons: list[str]
) -> None:
    order_id = uuid4()
    shop, _ = given(SANDAL, POSTNL, order_placed(order_id))

    current = moved(shop, get_order(shop.storage, order_id))

    assert [action.button for action in legal_actions(current, LATER)] == buttons

