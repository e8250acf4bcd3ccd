"""A tiny model of what the shop must hold, for the state machines that drive it at random.

The unit machine (tests/unit/test_shop_machine.py) drives `Shop` on the in-memory storage;
the HTTP machine (tests/e2e/test_stateful.py) drives the API. Both check the shop against
this model after every step. Orders are kept as the API shows them: plain JSON values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import strategies as st

JsonObject = dict[str, Any]

GHOST_SKU = "GHOST-SKU"
GHOST_METHOD = "ghost-method"
# Mostly not: a fault in every other order would leave few orders to pay and ship.
RARELY = st.sampled_from([False, False, False, False, True])
# Changes to an order: (action, expected version to send, whether to send a note).
CHANGES = st.lists(st.tuples(st.sampled_from(["pay", "ship", "cancel"]),
                             st.sampled_from([None, None, "current", "stale", "*"]),
                             st.booleans()), min_size=1, max_size=4)
PENDING, PAID, SHIPPED, CANCELLED = "pending_payment", "paid", "shipped", "cancelled"

# action -> status before -> (status after, event) ; None means "no change" (a no-op)
TRANSITIONS: dict[str, dict[str, tuple[str, str] | None]] = {
    "pay": {PENDING: (PAID, "OrderPaid"), PAID: None},
    "ship": {PAID: (SHIPPED, "OrderShipped"), SHIPPED: None},
    "cancel": {PENDING: (CANCELLED, "OrderCancelled"), PAID: (CANCELLED, "OrderCancelled"),
               CANCELLED: None},
}
# Every history an order may have: placed, then at most paid, then shipped or cancelled.
LEGAL_HISTORIES = {
    ("OrderPlaced",),
    ("OrderPlaced", "OrderPaid"),
    ("OrderPlaced", "OrderCancelled"),
    ("OrderPlaced", "OrderPaid", "OrderShipped"),
    ("OrderPlaced", "OrderPaid", "OrderCancelled"),
}
RECORDED_FIELD = {"pay": "payment_reference", "ship": "tracking_number",
                  "cancel": "cancel_reason"}


@dataclass
class Product:
    """A product as the model knows it."""

    name: str
    price: int
    available: int


@dataclass
class Order:
    """An order as the model knows it."""

    id: str
    number: int
    status: str
    lines: list[JsonObject]
    subtotal: int
    shipping: int
    tax: int
    history: list[str]
    recorded: dict[str, str | None] = field(default_factory=dict)

    @property
    def version(self) -> int:
        """How many events the order has."""
        return len(self.history)

    @property
    def total(self) -> int:
        """What the customer pays."""
        return self.subtotal + self.shipping + self.tax


@dataclass
class Model:
    """What the shop must hold after the commands so far."""

    tax_rate: Decimal
    products: dict[str, Product] = field(default_factory=dict)
    methods: dict[str, int] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)

    def quote(self, lines: list[tuple[str, int]], method: str) -> tuple[list[JsonObject], int]:
        """The lines as sold (one per SKU, in first-seen order) and the tax."""
        sold = [{"sku": sku, "name": self.products[sku].name, "quantity": quantity,
                 "unit_price": self.products[sku].price,
                 "line_total": self.products[sku].price * quantity}
                for sku, quantity in _wanted(lines).items()]
        taxable = sum(line["line_total"] for line in sold) + self.methods[method]
        tax = int((Decimal(taxable) * self.tax_rate).quantize(Decimal(1), ROUND_HALF_UP))
        return sold, tax

    def refusals(self, lines: list[tuple[str, int]], method: str) -> dict[str, Any]:
        """Every refusal this order deserves (problem slug -> what it must name)."""
        wanted = _wanted(lines)
        found: dict[str, Any] = {}
        if method not in self.methods:
            found["unknown-shipping-method"] = method
        unknown = [sku for sku in wanted if sku not in self.products]
        if unknown:
            found["unknown-product"] = unknown
        else:
            shortages = sorted(
                (sku, quantity, self.products[sku].available)
                for sku, quantity in wanted.items() if self.products[sku].available < quantity
            )
            if shortages:
                found["out-of-stock"] = shortages
        return found

    def place(self, order_id: str, lines: list[tuple[str, int]], method: str) -> Order:
        """The order the shop must now hold, its stock taken."""
        sold, tax = self.quote(lines, method)
        order = Order(id=order_id, number=len(self.orders) + 1, status=PENDING, lines=sold,
                      subtotal=sum(line["line_total"] for line in sold),
                      shipping=self.methods[method], tax=tax, history=["OrderPlaced"])
        for line in sold:
            self.products[line["sku"]].available -= line["quantity"]
        self.orders[order_id] = order
        return order

    def change(self, order: Order, action: str, note: str | None) -> None:
        """Make a legal change (a no-op if the order is already there)."""
        change = TRANSITIONS[action][order.status]
        if change is None:
            return
        order.status, event = change
        order.history.append(event)
        order.recorded[RECORDED_FIELD[action]] = note
        if event == "OrderCancelled":
            for line in order.lines:
                self.products[line["sku"]].available += line["quantity"]


def _wanted(lines: list[tuple[str, int]]) -> dict[str, int]:
    wanted: dict[str, int] = {}
    for sku, quantity in lines:
        wanted[sku] = wanted.get(sku, 0) + quantity
    return wanted


def check_order(shown: JsonObject, expected: Order) -> None:
    """An order as the shop shows it is the order the model holds."""
    assert shown["id"] == expected.id
    assert shown["number"] == expected.number
    assert shown["status"] == expected.status
    assert shown["lines"] == expected.lines
    assert (shown["subtotal"], shown["shipping"], shown["tax"]) == (
        expected.subtotal, expected.shipping, expected.tax)
    assert shown["total"] == shown["subtotal"] + shown["shipping"] + shown["tax"]
    assert shown["total"] == expected.total
    assert shown["version"] == expected.version
    for name, value in expected.recorded.items():
        assert shown[name] == value, name
