"""The products and shipping_methods tables: catalogue_projector.py's views as rows, and
the catalogue as a placement reads it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from order_service.application.views import ProductView
from order_service.domain.events import ProductAdded, ShippingMethodAdded
from order_service.domain.values import CatalogueEntry, ShippingOption
from order_service.eventstore.store import PendingEvent
from order_service.projections.catalogue_projector import (
    added_product,
    added_shipping_method,
    product_changes,
    stock_changes,
)
from order_service.projections.rows import insert_first_row
from order_service.projections.tables import products, shipping_methods


def product_row(product: ProductView) -> dict[str, Any]:
    """The products row of `product`."""
    return {"sku": product.sku, "name": product.name, "price": product.price,
            "currency": product.currency, "available": product.available,
            "added_at": product.added_at, "updated_at": product.updated_at,
            "retired_at": product.retired_at}


_change_stock = (
    update(products)
    .where(products.c.sku == bindparam("b_sku"))
    .values(available=products.c.available + bindparam("b_change"), updated_at=bindparam("b_at"))
)


def project_products(connection: Connection, pending: Sequence[PendingEvent]) -> None:
    """Apply catalogue and stock events to the products table."""
    for stored in pending:
        if isinstance(stored.event, ProductAdded):
            insert_first_row(connection, products, product_row(added_product(stored.event)),
                             stored)
            continue
        changed = product_changes(stored.event)
        if changed:
            connection.execute(update(products).where(
                products.c.sku == getattr(stored.event, "sku")).values(changed))  # noqa: B009
        changes = stock_changes(stored.event)
        if changes:
            connection.execute(_change_stock, [
                {"b_sku": change.sku, "b_change": change.change, "b_at": change.at}
                for change in changes])


def shipping_method_row(added: ShippingMethodAdded) -> dict[str, Any]:
    """The shipping_methods row a ShippingMethodAdded event creates (the view, and when
    it was added)."""
    method = added_shipping_method(added)
    return {"code": method.code, "name": method.name, "price": method.price,
            "currency": method.currency, "added_at": added.added_at}


def project_shipping_methods(connection: Connection, pending: Sequence[PendingEvent]) -> None:
    """Apply shipping-method events to the shipping_methods table."""
    for stored in pending:
        if isinstance(stored.event, ShippingMethodAdded):
            insert_first_row(connection, shipping_methods, shipping_method_row(stored.event),
                             stored)


# Every placement sends these two: built once, only the bound values change.
_LOCK_PRODUCTS = (
    select(products.c.sku, products.c.name, products.c.price, products.c.currency,
           products.c.available, products.c.retired_at)
    .where(products.c.sku.in_(bindparam("skus", expanding=True)))
    .order_by(products.c.sku)
    .with_for_update()
)
_SHIPPING_METHOD = select(shipping_methods).where(shipping_methods.c.code == bindparam("code"))


class SqlCatalogue:
    """The Catalogue port: products locked for an order, and shipping options."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def lock_products(self, skus: Collection[str]) -> dict[str, CatalogueEntry]:
        """The products with these SKUs, row-locked until the transaction ends."""
        # Locking in SKU order means two orders for the same products queue up instead
        # of deadlocking. SQLite ignores FOR UPDATE: its writers already run one at a time.
        rows = self._connection.execute(_LOCK_PRODUCTS, {"skus": sorted(skus)})
        return {
            row.sku: CatalogueEntry(row.sku, row.name, row.price, row.currency, row.available,
                                    retired=row.retired_at is not None)
            for row in rows
        }

    def shipping_option(self, code: str) -> ShippingOption | None:
        """A shipping method by code, if the shop offers it."""
        row = self._connection.execute(_SHIPPING_METHOD, {"code": code}).first()
        if row is None:
            return None
        return ShippingOption(row.code, row.name, row.price, row.currency)

    def shipping_codes(self) -> list[str]:
        """Codes of every shipping method offered."""
        return list(
            self._connection.scalars(select(shipping_methods.c.code).order_by(shipping_methods.c.code))
        )
