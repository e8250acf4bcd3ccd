"""Business errors, named as the shop would name them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from order_service.domain.values import OrderStatus


class OrderServiceError(Exception):
    """Base of every refusal the shop's rules can make."""


class NotFound(OrderServiceError):
    """Something asked for does not exist."""


class OrderNotFound(NotFound):
    """No order has this id."""

    def __init__(self, order_id: UUID | str) -> None:
        super().__init__(f"no order has id {order_id}")
        self.order_id = order_id

    @classmethod
    def unparsable(cls, raw: str) -> OrderNotFound:
        """An id that cannot name any order, because it is not a UUID."""
        return cls(raw[:64])


class ProductNotFound(NotFound):
    """No product has this SKU."""

    def __init__(self, sku: str) -> None:
        super().__init__(f"no product has SKU {sku!r}")
        self.sku = sku


class ShippingMethodNotFound(NotFound):
    """No shipping method has this code."""

    def __init__(self, code: str) -> None:
        super().__init__(f"no shipping method has code {code!r}")
        self.code = code


class UnknownProducts(OrderServiceError):
    """An order names SKUs the catalogue does not have."""

    def __init__(self, skus: Sequence[str]) -> None:
        names = ", ".join(repr(s) for s in skus)
        super().__init__(f"the catalogue has no product with SKU {names}")
        self.skus = tuple(skus)


class UnknownShippingMethod(OrderServiceError):
    """An order names a shipping method the shop does not offer."""

    def __init__(self, code: str, offered: Sequence[str]) -> None:
        choices = ", ".join(repr(c) for c in offered) or "none yet"
        super().__init__(f"the shop has no shipping method {code!r} (offered: {choices})")
        self.code = code


class UnknownPaymentMethod(OrderServiceError):
    """An order names a payment method the shop does not accept."""

    def __init__(self, method: str, accepted: Sequence[str]) -> None:
        choices = ", ".join(repr(m) for m in accepted)
        super().__init__(f"the shop does not accept payment method {method!r} ({choices})")
        self.method = method


@dataclass(frozen=True, slots=True)
class Shortage:
    """A SKU an order wants more of than the shop has."""

    sku: str
    requested: int
    available: int


class OutOfStock(OrderServiceError):
    """Some lines of an order cannot be served; the whole order is refused."""

    def __init__(self, shortages: Sequence[Shortage]) -> None:
        parts = "; ".join(
            f"{s.sku}: requested {s.requested}, available {s.available}" for s in shortages
        )
        super().__init__(f"not enough stock for {parts}")
        self.shortages = tuple(shortages)


class IllegalTransition(OrderServiceError):
    """An order cannot make this change from the state it is in."""

    def __init__(self, order_id: UUID, current: OrderStatus, action: str, why: str) -> None:
        super().__init__(f"order {order_id} is {current.value}: cannot {action} it; {why}")
        self.order_id = order_id
        self.current = current
        self.action = action


class OrderChangedMeanwhile(OrderServiceError):
    """Another request changed the order while this change was being decided."""

    def __init__(self, order_id: UUID, current: OrderStatus, action: str) -> None:
        super().__init__(
            f"order {order_id} changed while this request was deciding to {action} it: it is "
            f"now {current.value}; look at it again and {action} it again if you still mean to"
        )
        self.order_id = order_id
        self.current = current
        self.action = action


class StaleOrderVersion(OrderServiceError):
    """The caller's copy of the order (If-Match) is not the current one."""

    def __init__(self, order_id: UUID, expected: int, current: int) -> None:
        given = f"not {expected}" if expected >= 0 else "which If-Match does not name"
        super().__init__(
            f"order {order_id} is at version {current}, {given}: "
            "fetch it again and retry with its current ETag"
        )
        self.order_id = order_id
        self.expected = expected
        self.current = current


class ProductAlreadyExists(OrderServiceError):
    """The catalogue already has a product with this SKU."""

    def __init__(self, sku: str) -> None:
        super().__init__(f"the catalogue already has a product with SKU {sku!r}")
        self.sku = sku


class ShippingMethodAlreadyExists(OrderServiceError):
    """The shop already offers a shipping method with this code."""

    def __init__(self, code: str) -> None:
        super().__init__(f"the shop already has a shipping method with code {code!r}")
        self.code = code


class CurrencyMismatch(OrderServiceError):
    """A price is in another currency than the shop's."""

    def __init__(self, given: str, shop_currency: str, what: str | None = None) -> None:
        priced = f"{what} is priced in {given}, but " if what else ""
        super().__init__(f"{priced}the shop sells in {shop_currency}, not {given}")
        self.given = given
        self.shop_currency = shop_currency


class InvalidQuantity(OrderServiceError):
    """A quantity of goods must be a positive whole number."""

    def __init__(self, what: str, quantity: int, minimum: int = 1) -> None:
        super().__init__(f"{what} must be at least {minimum}, not {quantity}")
        self.quantity = quantity


class QuantityTooLarge(OrderServiceError):
    """An order asks for more of one product than any order may."""

    def __init__(self, sku: str, quantity: int, limit: int) -> None:
        super().__init__(
            f"the order asks for {quantity} of {sku} across its lines; at most {limit} of one "
            "product fit in an order"
        )
        self.sku = sku
        self.quantity = quantity


class InvalidPrice(OrderServiceError):
    """A price cannot be negative."""

    def __init__(self, amount: int) -> None:
        super().__init__(f"a price must be zero or more minor units, not {amount}")
        self.amount = amount


class OrderTooLarge(OrderServiceError):
    """An order's total is beyond what the shop can record."""

    def __init__(self, total: int, limit: int) -> None:
        super().__init__(
            f"the order's total of {total} minor units is over the limit of {limit}; "
            "split it into smaller orders"
        )
        self.total = total


class EmptyOrder(OrderServiceError):
    """An order needs at least one line."""

    def __init__(self) -> None:
        super().__init__("an order needs at least one line")


class ProductsRetired(OrderServiceError):
    """An order names products the shop no longer sells."""

    def __init__(self, skus: Sequence[str]) -> None:
        names = ", ".join(repr(s) for s in skus)
        super().__init__(f"the shop no longer sells {names}: the product was retired")
        self.skus = tuple(skus)


class RefundExceedsTotal(OrderServiceError):
    """A refund would give back more than is left of the order's total."""

    def __init__(self, order_id: UUID, amount: int, refundable: int, currency: str) -> None:
        super().__init__(
            f"order {order_id} has {refundable} minor units of {currency} left to refund, "
            f"less than the {amount} asked for"
        )
        self.order_id = order_id
        self.amount = amount
        self.refundable = refundable
        self.currency = currency


class RefundExceedsSold(OrderServiceError):
    """A refund names more of a product than the order sold and has not refunded yet."""

    def __init__(self, order_id: UUID, sku: str, quantity: int, refundable: int) -> None:
        super().__init__(
            f"order {order_id} has {refundable} of {sku} left to refund, "
            f"fewer than the {quantity} asked for"
        )
        self.order_id = order_id
        self.sku = sku
        self.quantity = quantity
        self.refundable = refundable


class NotOnOrder(OrderServiceError):
    """A refund names products the order does not hold."""

    def __init__(self, order_id: UUID, skus: Sequence[str]) -> None:
        names = ", ".join(repr(s) for s in skus)
        super().__init__(f"order {order_id} has no line of {names}")
        self.order_id = order_id
        self.skus = tuple(skus)


class InvalidRefund(OrderServiceError):
    """A refund that cannot be made as asked (no amount, nothing to restock)."""

