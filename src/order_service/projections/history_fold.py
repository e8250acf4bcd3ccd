"""What a rebuild makes of the stored history: the projectors, run over whole streams.

A rebuild reads the events stream by stream, each stream's events together and oldest
first, so an order is folded from its first event to its last in one go and written
once, and memory holds one batch of streams at a time. Only the catalogue is kept
whole until the end: every order stream changes some product's stock. What each event
does is decided where the live projections decide it (order_projector.py,
catalogue_projector.py), so a rebuild and the live read models cannot disagree.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

from order_service.application.views import OrderView, ProductView
from order_service.domain.events import (
    DomainEvent,
    OrderPlaced,
    ProductAdded,
    ShippingMethodAdded,
)
from order_service.projections.catalogue_projector import (
    added_product,
    product_changes,
    stock_changes,
)
from order_service.projections.order_projector import ORDER_EVENTS, order_changes, placed_order


class ReplayedEvent(NamedTuple):
    """A stored event as a rebuild reads it: decoded (and upcast), with its place (a
    named tuple: a million are made, and a tuple is made several times faster)."""

    stream_id: str
    position: int
    version: int
    event: DomainEvent
    metadata: str  # the stored JSON text; parsed only for the event that starts an order


def folded_order(stream: Sequence[ReplayedEvent]) -> OrderView | None:
    """The order a whole stream's events make, or None if the stream is not an order's."""
    first = stream[0]
    if not isinstance(first.event, OrderPlaced):
        return None
    view = placed_order(first.event, first.version,
                        json.loads(first.metadata).get("api_key_id"))
    if len(stream) == 1:
        return view
    # Each event's changes, gathered and applied at once: making the view again after
    # every event would cost as much as all the rest of the fold.
    changes: dict[str, Any] = {}
    for later in stream[1:]:
        if isinstance(later.event, ORDER_EVENTS):
            changes.update(order_changes(later.event, later.version, changes))
    return replace(view, **changes)


@dataclass(slots=True)
class _Stock:
    change: int = 0
    last_position: int = 0
    updated_at: datetime | None = None  # the moment of the change at last_position

    def add(self, change: int, position: int, at: datetime | None) -> None:
        """Count a change (or a sum of them, the last at `position`); the latest wins."""
        self.change += change
        if position > self.last_position:
            self.last_position, self.updated_at = position, at


class CatalogueFold:
    """Products and shipping methods, folded from events met in any order of streams.

    Stock changes are summed per SKU and the product's `updated_at` is that of the
    change with the highest position, which is what applying them in position order
    (as the live projection does) leaves.
    """

    def __init__(self) -> None:
        self._added: dict[str, ProductView] = {}
        self._stock: dict[str, _Stock] = {}
        self._shipping_methods: dict[str, ShippingMethodAdded] = {}

    def apply(self, replayed: ReplayedEvent) -> None:
        """Fold one event into the catalogue (events of other kinds change nothing)."""
        event = replayed.event
        match event:
            case ProductAdded():
                self._added[event.sku] = added_product(event)
            case ShippingMethodAdded():
                self._shipping_methods[event.code] = event
        changed = product_changes(event)
        if changed:
            # A product's stream is never split between batches: it was added here.
            sku = getattr(event, "sku")  # noqa: B009 (every product event has one)
            at = changed.pop("updated_at")
            self._added[sku] = replace(self._added[sku], **changed)
            # No change of stock, but the latest event sets `updated_at`, as stock does.
            self._stock_of(sku).add(0, replayed.position, at)
        for change in stock_changes(event):
            self._stock_of(change.sku).add(change.change, replayed.position, change.at)

    def merge(self, other: CatalogueFold) -> None:
        """Fold in what `other` folded from other streams (a worker's batch)."""
        self._added.update(other._added)
        self._shipping_methods.update(other._shipping_methods)
        for sku, theirs in other._stock.items():
            self._stock_of(sku).add(theirs.change, theirs.last_position, theirs.updated_at)

    def _stock_of(self, sku: str) -> _Stock:
        stock = self._stock.get(sku)
        if stock is None:
            stock = self._stock[sku] = _Stock()
        return stock

    def products(self) -> list[ProductView]:
        """Every product with its stock after all the events folded so far, by SKU."""
        return [self._with_stock(added) for _, added in sorted(self._added.items())]

    def _with_stock(self, added: ProductView) -> ProductView:
        stock = self._stock.get(added.sku)
        if stock is None or stock.updated_at is None:
            return added
        return replace(added, available=added.available + stock.change,
                       updated_at=stock.updated_at)

    def shipping_methods(self) -> list[ShippingMethodAdded]:
        """The event that added each shipping method offered, by code (its row is
        products.shipping_method_row's)."""
        return [self._shipping_methods[code] for code in sorted(self._shipping_methods)]
