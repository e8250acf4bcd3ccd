"""Example values and events for the domain tests, built without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from order_service.domain.events import (
    AddressCorrection,
    CustomerCorrection,
    DomainEvent,
    OrderCancelled,
    OrderDetailsCorrected,
    OrderNoteAdded,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    PaymentNotified,
    ProductAdded,
    ProductRenamed,
    ProductRepriced,
    ProductRestocked,
    ProductRetired,
    ShippingMethodAdded,
)
from order_service.domain.values import Address, Customer, OrderLine, StockQuantity

PLACED_AT = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
LATER = PLACED_AT + timedelta(hours=1)

CUSTOMER = Customer(name="Ada Lovelace", email="ada@example.org", phone="+31 20 123 4567")
ADDRESS = Address(
    name="Ada Lovelace", line1="Keizersgracht 1", city="Amsterdam", postal_code="1015 CJ",
    country="NL", line2="3rd floor", region="Noord-Holland",
)
# Where Ada moved to: the address an order is corrected to.
NEW_ADDRESS = Address(name="Ada Lovelace", line1="Herengracht 502", city="Amsterdam",
                      postal_code="1017 CB", country="NL")


def line(sku: str, quantity: int, unit_price: int = 1_250) -> OrderLine:
    """A sold line whose total is quantity x unit price."""
    return OrderLine(sku=sku, name=f"Product {sku}", quantity=quantity, unit_price=unit_price,
                     line_total=quantity * unit_price)


def order_placed(order_id: UUID, *lines: OrderLine) -> OrderPlaced:
    """An OrderPlaced event for `lines` (one line of two SANDAL-42 if none given)."""
    sold = lines or (line("SANDAL-42", 2),)
    subtotal = sum(sold_line.line_total for sold_line in sold)
    return OrderPlaced(
        order_id=order_id, number=7, customer=CUSTOMER, lines=tuple(sold),
        shipping_address=ADDRESS, billing_address=ADDRESS, payment_method="card",
        shipping_method="postnl", shipping_method_name="PostNL", currency="EUR",
        subtotal=subtotal, shipping=495, tax_rate="0.21", tax=0, total=subtotal + 495,
        placed_at=PLACED_AT,
    )


def one_of_each_event_type() -> dict[type[DomainEvent], DomainEvent]:
    """An example event of every type, with every optional field filled."""
    order_id = uuid4()
    examples: list[DomainEvent] = [
        ProductAdded(sku="SANDAL-42", name="Sandal 42", unit_price=1_999, currency="EUR",
                     stock=12, added_at=PLACED_AT),
        ProductRestocked(sku="SANDAL-42", quantity=5, restocked_at=PLACED_AT),
        ShippingMethodAdded(code="postnl", name="PostNL", price=495, currency="EUR",
                            added_at=PLACED_AT),
        order_placed(order_id, line("SANDAL-42", 2), line("BOOT-38", 1, 8_900)),
        OrderPaid(order_id=order_id, payment_reference="psp-123", paid_at=LATER),
        OrderShipped(order_id=order_id, tracking_number="3SABCD1234", shipped_at=LATER),
        OrderCancelled(order_id=order_id, reason="customer asked",
                       returned_stock=(StockQuantity("SANDAL-42", 2),), cancelled_at=LATER),
        PaymentNotified(order_id=order_id, notification_id="evt_1", succeeded=True,
                        amount=13_393, currency="EUR", payment_reference="pi_123",
                        applied=False, reason="amount_mismatch", received_at=LATER),
        ProductRenamed(sku="SANDAL-42", name="Leather sandal 42", renamed_at=LATER),
        ProductRepriced(sku="SANDAL-42", unit_price=2_499, currency="EUR", repriced_at=LATER),
        ProductRetired(sku="SANDAL-42", retired_at=LATER),
        OrderDetailsCorrected(
            order_id=order_id,
            customer=CustomerCorrection(CUSTOMER, Customer(name="Ada King",
                                                           email="ada@example.org")),
            shipping_address=AddressCorrection(ADDRESS, NEW_ADDRESS),
            billing_address=AddressCorrection(ADDRESS, NEW_ADDRESS), corrected_at=LATER),
        OrderRefunded(order_id=order_id, amount=2_500, currency="EUR", reason="one was torn",
                      lines=(StockQuantity("SANDAL-42", 1),),
                      returned_stock=(StockQuantity("SANDAL-42", 1),), refunded_at=LATER),
        OrderNoteAdded(order_id=order_id, text="Gift: no prices on the slip", added_at=LATER),
    ]
    return {type(event): event for event in examples}
