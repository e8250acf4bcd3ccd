"""Questions the merchant and the storefront ask, answered from the read models."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from typing import TypeVar
from uuid import UUID

from order_service.application.access import Principal
from order_service.application.ports import OrderDocuments, ReadModels, Storage
from order_service.application.views import (
    EventPage,
    OrderDocument,
    OrderDocumentPage,
    OrderEventView,
    OrderFilter,
    OrderView,
    ProductView,
    SalesReport,
    ShippingMethodView,
)
from order_service.domain.errors import OrderNotFound, ProductNotFound, ShippingMethodNotFound
from order_service.domain.payment_instructions import TransferTerms
from order_service.domain.values import OrderStatus

T = TypeVar("T")
Shown = TypeVar("Shown", OrderView, OrderDocument)


def get_order(storage: Storage, order_id: UUID, viewer: Principal | None = None) -> OrderView:
    """One order, or OrderNotFound; a storefront sees only the orders it placed."""
    with storage.reading() as read_models:
        order = read_models.order(order_id)
    return _shown_to(viewer, order_id, order)


async def read_order_document(documents: OrderDocuments, order_id: UUID, viewer: Principal,
                              transfer: TransferTerms) -> OrderDocument:
    """One order as the JSON the API sends, in one query; the same rules as get_order."""
    return _shown_to(viewer, order_id, await documents.order_document(order_id, transfer))


def _shown_to(viewer: Principal | None, order_id: UUID, order: Shown | None) -> Shown:
    hidden = (viewer is not None and not viewer.sees_every_order()
              and (order is None or order.placed_by != viewer.key_id))
    if order is None or hidden:
        # Not 403: another storefront's order is none of this storefront's business,
        # not even whether it exists.
        raise OrderNotFound(order_id)
    return order


async def read_order_documents(
    documents: OrderDocuments,
    where: OrderFilter,
    *,
    viewer: Principal,
    limit: int,
    before_number: int | None,
    transfer: TransferTerms,
) -> OrderDocumentPage:
    """The page `list_orders` gives, with the documents built by the database; a
    storefront's page holds only the orders it placed."""
    if not viewer.sees_every_order():
        where = replace(where, placed_by=viewer.key_id)
    return await documents.newest_first(where, limit, before_number, transfer)


class ThreadedOrderDocuments:
    """OrderDocuments over a storage whose reads block (SQLite): each on a worker thread."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def order_document(self, order_id: UUID, transfer: TransferTerms
                             ) -> OrderDocument | None:
        """One order's document, read on a worker thread."""
        return await asyncio.to_thread(self._order_document, order_id, transfer)

    async def newest_first(self, where: OrderFilter, limit: int, before_number: int | None,
                           transfer: TransferTerms) -> OrderDocumentPage:
        """A page of documents, newest first, read on a worker thread."""
        return await asyncio.to_thread(list_order_documents, self._storage, where,
                                       limit=limit, before_number=before_number,
                                       transfer=transfer)

    def _order_document(self, order_id: UUID, transfer: TransferTerms
                        ) -> OrderDocument | None:
        with self._storage.reading() as read_models:
            return read_models.order_document(order_id, transfer)


def list_order_documents(storage: Storage, where: OrderFilter, *, limit: int,
                         before_number: int | None, transfer: TransferTerms
                         ) -> OrderDocumentPage:
    """Orders matching `where` numbered below `before_number`, newest first, as documents.

    The page's receipt numbers are found first; its documents are then those of the
    orders numbered in that span that still match. An order whose status changes in
    between drops out of (or into) a status-filtered page, as it would an instant later.
    """
    with storage.reading() as read_models:
        documents, next_before = _newest_first(
            read_models, partial(read_models.order_documents_between, transfer=transfer),
            where, limit, before_number)
    return OrderDocumentPage(documents=documents, next_before=next_before)


@dataclass(frozen=True)
class OrderPage:
    """One page of orders, newest first, and the receipt number the next page starts below."""

    orders: tuple[OrderView, ...]
    next_before: int | None


def list_orders(storage: Storage, where: OrderFilter, *, limit: int,
                before_number: int | None) -> OrderPage:
    """Orders matching `where` numbered below `before_number`, newest first (keyset)."""
    with storage.streaming() as read_models:
        orders, next_before = _newest_first(
            read_models, read_models.orders_between, where, limit, before_number)
    return OrderPage(orders=orders, next_before=next_before)


def _newest_first(read_models: ReadModels,
                  between: Callable[[int, int, OrderFilter], Iterable[T]],
                  where: OrderFilter, limit: int, before_number: int | None
                  ) -> tuple[tuple[T, ...], int | None]:
    """A keyset page of orders numbered below `before_number`, newest first, as `between`
    gives them, and the number the next page starts below (None on the last page)."""
    # One extra number tells whether another page exists without a COUNT.
    numbers = read_models.order_numbers_before(before_number, limit + 1, where)
    page = numbers[:limit]
    found = [] if not page else list(between(page[-1] - 1, page[0], where))
    found.reverse()
    return tuple(found), page[-1] if len(numbers) > limit else None


def count_by_status(storage: Storage, where: OrderFilter) -> dict[OrderStatus, int]:
    """How many orders matching `where`, whatever statuses it names, are in each status."""
    with storage.reading() as read_models:
        return read_models.count_orders_by_status(replace(where, statuses=frozenset()))


def order_history(storage: Storage, order_id: UUID) -> list[OrderEventView]:
    """An order's events, oldest first, or OrderNotFound."""
    with storage.reading() as read_models:
        history = read_models.order_history(order_id)
    if not history:
        raise OrderNotFound(order_id)
    return history


def get_product(storage: Storage, sku: str) -> ProductView:
    """One product, or ProductNotFound."""
    with storage.reading() as read_models:
        product = read_models.product(sku)
    if product is None:
        raise ProductNotFound(sku)
    return product


def list_products(storage: Storage) -> list[ProductView]:
    """The whole catalogue."""
    with storage.reading() as read_models:
        return read_models.products()


def get_shipping_method(storage: Storage, code: str) -> ShippingMethodView:
    """One shipping method, or ShippingMethodNotFound."""
    with storage.reading() as read_models:
        method = read_models.shipping_method(code)
    if method is None:
        raise ShippingMethodNotFound(code)
    return method


def list_shipping_methods(storage: Storage) -> list[ShippingMethodView]:
    """Every shipping method the shop offers."""
    with storage.reading() as read_models:
        return read_models.shipping_methods()


def follow_events(storage: Storage, *, after: int, limit: int) -> EventPage:
    """The events after `after` in global order, and where to continue."""
    with storage.reading() as read_models:
        items = tuple(read_models.events_after(after, limit))
    return EventPage(items=items, next_after=items[-1].position if items else after)


@dataclass(frozen=True)
class ExportPage:
    """Where one page of the order export lies: receipt numbers in (after, up_to]."""

    after: int
    up_to: int | None
    next_after: int | None


def export_page(storage: Storage, where: OrderFilter, *, after: int, limit: int) -> ExportPage:
    """The page of `limit` orders numbered above `after`, oldest first.

    Keyset pagination on the receipt number: numbers never change and new orders get
    higher ones, so a walk over all pages meets every order that existed when it began
    exactly once, however orders are placed or change state meanwhile.
    """
    with storage.reading() as read_models:
        numbers = read_models.order_numbers_after(after, limit + 1, where)
    page = numbers[:limit]
    return ExportPage(after=after, up_to=page[-1] if page else after,
                      next_after=page[-1] if len(numbers) > limit else None)


EVERYTHING = ExportPage(after=0, up_to=None, next_after=None)


@contextmanager
def orders_in(storage: Storage, where: OrderFilter, page: ExportPage
              ) -> Iterator[Iterator[OrderView]]:
    """The page's orders, streamed from one read transaction that ends with the block."""
    with storage.streaming() as read_models, _finished(
            read_models.orders_between(page.after, page.up_to, where)) as orders:
        yield orders


@contextmanager
def documents_in(storage: Storage, where: OrderFilter, page: ExportPage,
                 transfer: TransferTerms) -> Iterator[Iterator[bytes]]:
    """The page's orders as JSON documents (as the API shows them), streamed from one
    read transaction that ends with the block."""
    with storage.streaming() as read_models, _finished(
            read_models.order_documents_between(page.after, page.up_to, where, transfer)
    ) as documents:
        yield documents


@contextmanager
def _finished(items: Iterator[T]) -> Iterator[Iterator[T]]:
    # A generator left half-read may be suspended inside its query (a COPY holds the
    # driver's lock on its connection). Closed here, on this thread and before the
    # connection goes back, it is never left for a garbage collector on another thread
    # (the event loop's) that would wait on that lock for ever.
    try:
        yield items
    finally:
        if isinstance(items, Generator):
            items.close()


def count_orders(storage: Storage, where: OrderFilter) -> int:
    """How many orders match `where`."""
    with storage.reading() as read_models:
        return read_models.count_orders(where)


def sales_report(storage: Storage, where: OrderFilter, currency: str) -> SalesReport:
    """Orders, money and refunds per status, with what was collected and what is pending.

    A refund counts with its order: in the report of the period the order was placed in,
    whenever it was given, so that the report sums the same orders the export lists.
    """
    with storage.reading() as read_models:
        by_status = read_models.sales_by_status(where, currency)
    return SalesReport(currency=currency, placed_from=where.placed_from,
                       placed_to=where.placed_to, by_status=by_status)
