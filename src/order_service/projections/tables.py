"""The read-model tables: denormalised views of the events, rebuildable at any time."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
)

from order_service.adapters.sql.column_types import JsonDocument, UtcDateTime
from order_service.adapters.sql.tables import metadata


def define_products(target: MetaData, name: str = "products", temporary: bool = False) -> Table:
    """Catalogue and stock: one row per SKU with what is left to sell."""
    return Table(
        name,
        target,
        Column("sku", String(64), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("price", BigInteger, nullable=False),
        Column("currency", String(3), nullable=False),
        Column("available", BigInteger, nullable=False),
        Column("added_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
        # When the shop stopped selling it; NULL while it is for sale.
        Column("retired_at", UtcDateTime),
        # The database's own last line of defence against overselling.
        CheckConstraint("available >= 0", name="available_not_negative"),
        prefixes=_prefixes(temporary),
    )


def define_shipping_methods(
    target: MetaData, name: str = "shipping_methods", temporary: bool = False
) -> Table:
    """The shop's shipping options and their prices."""
    return Table(
        name,
        target,
        Column("code", String(64), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("price", BigInteger, nullable=False),
        Column("currency", String(3), nullable=False),
        Column("added_at", UtcDateTime, nullable=False),
        prefixes=_prefixes(temporary),
    )


def define_orders(target: MetaData, name: str = "orders", temporary: bool = False) -> Table:
    """One row per order with everything the merchant's order page shows."""
    return Table(
        name,
        target,
        Column("id", Uuid, primary_key=True),
        Column("number", BigInteger, nullable=False, unique=True),
        Column("status", String(20), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("customer_name", String(200), nullable=False),
        Column("customer_email", String(320), nullable=False),
        Column("customer_phone", String(40)),
        Column("lines", JsonDocument, nullable=False),
        Column("shipping_address", JsonDocument, nullable=False),
        Column("billing_address", JsonDocument, nullable=False),
        Column("payment_method", String(64), nullable=False),
        Column("shipping_method", String(64), nullable=False),
        Column("shipping_method_name", String(200), nullable=False),
        Column("subtotal", BigInteger, nullable=False),
        Column("shipping", BigInteger, nullable=False),
        Column("tax_rate", String(16), nullable=False),
        Column("tax", BigInteger, nullable=False),
        Column("total", BigInteger, nullable=False),
        Column("placed_at", UtcDateTime, nullable=False),
        Column("paid_at", UtcDateTime),
        Column("shipped_at", UtcDateTime),
        Column("cancelled_at", UtcDateTime),
        Column("updated_at", UtcDateTime, nullable=False),
        Column("payment_reference", String(200)),
        Column("tracking_number", String(200)),
        Column("cancel_reason", String(500)),
        Column("version", Integer, nullable=False),
        # The API key that placed the order: a storefront may read only its own orders.
        Column("placed_by", String(36)),
        # Every gateway notification about the order, applied or only recorded.
        Column("payment_notifications", JsonDocument),
        # Money given back so far, and each refund. The defaults are for rows that the
        # hot path's place_orders() writes: they name only the columns it knew of.
        Column("refunded", BigInteger, nullable=False, server_default="0"),
        Column("refunds", JsonDocument, nullable=False, server_default="[]"),
        # The order as the API sends it, as JSON text, but for its payment instructions
        # (projections/orders.stored_document): reads and exports send it as it is.
        Column("document", Text, nullable=False),
        prefixes=_prefixes(temporary),
    )


def define_order_numbers(
    target: MetaData, name: str = "order_numbers", temporary: bool = False
) -> Table:
    """A single row holding the last order number handed out."""
    return Table(
        name,
        target,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("last_number", BigInteger, nullable=False),
        CheckConstraint("id = 1", name="single_row"),
        prefixes=_prefixes(temporary),
    )


def _prefixes(temporary: bool) -> list[str]:
    # Temporary twins hold a rebuild in progress; they vanish with their connection.
    return ["TEMPORARY"] if temporary else []


products = define_products(metadata)
shipping_methods = define_shipping_methods(metadata)
orders = define_orders(metadata)
order_numbers = define_order_numbers(metadata)

# Listing by status, newest first, walks this index in order.
Index("ix_orders_status_number", orders.c.status, orders.c.number)
# The payment-hold sweeper reads the oldest unpaid orders first from this index.
Index("ix_orders_status_placed_at", orders.c.status, orders.c.placed_at)

# A storefront lists one customer's orders by email, in any case.
Index("ix_orders_customer_email", func.lower(orders.c.customer_email))

READ_MODEL_TABLES = (products, shipping_methods, orders, order_numbers)
