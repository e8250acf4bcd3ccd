"""The Alembic migrations build the schema the code declares, and can be undone."""

from __future__ import annotations

import json

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from order_service.adapters.sql.schema import alembic_config, current_revision, head_revision
from order_service.adapters.sql.tables import metadata
from order_service.application.commands import CancelOrder, PayOrder, RefundOrder, ShipOrder
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.eventstore import tables as _event_tables  # noqa: F401  (registers it)
from order_service.projections import tables as read_model_tables
from tests.integration.builders import add_product, add_shipping_method, place

TABLES = {"events", *(table.name for table in read_model_tables.READ_MODEL_TABLES)}


def test_the_migrated_schema_matches_the_declared_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True})
        differences = compare_metadata(context, metadata)

    assert differences == []


def test_the_migrated_check_constraints_are_the_declared_ones(engine: Engine) -> None:
    # compare_metadata does not look at CHECK constraints, so they are compared here.
    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        declared = {(constraint.name, str(constraint.sqltext))
                    for constraint in table.constraints if isinstance(constraint, CheckConstraint)}
        migrated = {(found["name"], found["sqltext"])
                    for found in inspector.get_check_constraints(table.name)}
        assert migrated == declared, table.name


def test_downgrading_to_base_and_upgrading_to_head_rebuilds_the_schema(
    engine: Engine, database_url_for_test: str
) -> None:
    config = alembic_config(database_url_for_test)

    command.downgrade(config, "base")
    assert TABLES & set(inspect(engine).get_table_names()) == set()
    assert current_revision(engine) is None

    command.upgrade(config, "head")
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT last_number FROM order_numbers")).all() == [(0,)]


def test_the_events_are_append_only_again_after_a_downgrade_and_upgrade(
    engine: Engine, database_url_for_test: str
) -> None:
    config = alembic_config(database_url_for_test)
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO events (stream_id, version, type, schema_version, data, metadata, "
            "recorded_at) VALUES ('s-1', 1, 'ProductRestocked', 1, '{}', '{}', "
            "CURRENT_TIMESTAMP)"
        ))

    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as connection:
        connection.execute(text("DELETE FROM events"))


def test_orders_stored_before_0019_get_the_document_the_projection_writes(
    engine: Engine, database_url_for_test: str, shop: Shop, context: CommandContext
) -> None:
    sku, method = add_product(shop, context, stock=9), add_shipping_method(shop, context)
    placed = [place(shop, context, [(sku, 2)], method).id for _ in range(3)]
    shop.pay_order(PayOrder(placed[0], payment_reference="bank \"1\" \\ ü"), context)
    shop.ship_order(ShipOrder(placed[0], tracking_number="TRK-1"), context)
    shop.cancel_order(CancelOrder(placed[1], reason="customer asked"), context)
    written = documents(engine)
    config = alembic_config(database_url_for_test)

    command.downgrade(config, "0018")
    command.upgrade(config, "head")

    assert documents(engine) == written
    assert sorted(written) == sorted(str(order_id) for order_id in placed)


def documents(engine: Engine) -> dict[str, object]:
    """Each order's stored document, parsed, by its id as the document gives it."""
    with engine.connect() as connection:
        parsed = [json.loads(document) for (document,) in
                  connection.execute(text("SELECT document FROM orders"))]
    return {document["id"]: document for document in parsed}


def test_a_downgrade_below_0020_leaves_refunded_orders_valid_documents(
    engine: Engine, database_url_for_test: str, shop: Shop, context: CommandContext
) -> None:
    sku, method = add_product(shop, context, stock=9), add_shipping_method(shop, context)
    order_id = place(shop, context, [(sku, 2)], method).id
    shop.pay_order(PayOrder(order_id), context)
    shop.refund_order(RefundOrder(order_id, 100, 'a "quoted", reason: "refunded":1'), context)
    written = documents(engine)[str(order_id)]
    config = alembic_config(database_url_for_test)

    command.downgrade(config, "0019")

    assert isinstance(written, dict)
    before = {name: value for name, value in written.items()
              if name not in ("refunded", "refunds")}
    assert documents(engine) == {str(order_id): before}
    command.upgrade(config, "head")
    assert documents(engine) == {str(order_id): {**before, "refunded": 0, "refunds": []}}
