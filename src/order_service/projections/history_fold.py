"""A whole history folded into read-model rows by the projectors, newest event first.

Why backwards: an order's row is final once its stream has no more events, and a stream's
first event (OrderPlaced) is the last one a backward scan meets. So each order's row is
finished, and can be written and forgotten, the moment its OrderPlaced arrives; only the
events of orders whose placement is still ahead are held, not every order at once. The
row itself is made forwards, by the same projector the live paths run (`project_stream`
is `project_order` over a whole stream), from the OrderPlaced and then the held events
oldest first.

Stock is a sum, so its order does not matter: each product's row is its ProductAdded row
plus every change `stock_changes` gives, `updated_at` from the newest change (the first
one met).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from order_service.domain.events import (
    DomainEvent,
    OrderPlaced,
    ProductAdded,
    ShippingMethodAdded,
)
from order_service.projections.projectors import (
    ORDER_EVENTS,
    Recorded,
    Row,
    order_row,
    product_row,
    project_order,
    project_stream,
    shipping_method_row,
    stock_changes,
)


@dataclass
class _Stock:
    change: int
    updated_at: datetime


@dataclass
class BackwardFold:
    """Rows of every read model from events fed newest first (see the module's text)."""

    _later: dict[str, list[Recorded]] = field(default_factory=dict)
    _stock: dict[str, _Stock] = field(default_factory=dict)
    _products: list[Row] = field(default_factory=list)
    shipping_methods: list[Row] = field(default_factory=list)

    def feed(self, stream_id: str, recorded: Recorded) -> Row | None:
        """Take the next older event; the finished orders row when it is an OrderPlaced."""
        event = recorded.event
        for change in stock_changes(event):
            held = self._stock.get(change.sku)
            if held is None:
                self._stock[change.sku] = _Stock(change.change, change.at)
            else:
                held.change += change.change
        if isinstance(event, OrderPlaced):
            later = self._later.pop(stream_id, None)
            if later is None:
                return order_row(project_order(None, recorded))
            later.append(recorded)
            later.reverse()
            return order_row(project_stream(later))
        if isinstance(event, ORDER_EVENTS):
            self._later.setdefault(stream_id, []).append(recorded)
        elif isinstance(event, ProductAdded):
            self._products.append(product_row(event))
        elif isinstance(event, ShippingMethodAdded):
            self.shipping_methods.append(shipping_method_row(event))
        return None

    def products(self) -> Iterator[Row]:
        """Every product's row with all the stock changes fed applied."""
        for row in self._products:
            stock = self._stock.get(row["sku"])
            if stock is not None:
                yield {**row, "available": row["available"] + stock.change,
                       "updated_at": stock.updated_at}
            else:
                yield row


def forward_order_row(events: list[tuple[DomainEvent, int, str | None]]) -> Row | None:
    """The orders row of one order's whole stream, given oldest first as (event, version,
    API key); None for a stream that is not an order's."""
    stream = [Recorded(event, version, api_key_id) for event, version, api_key_id in events
              if isinstance(event, ORDER_EVENTS)]
    return order_row(project_stream(stream)) if stream else None
