"""Rebuilding the read models from the events gives back exactly what the live projections built."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Connection, Engine, func, select, text

from order_service.adapters.sql.storage import SqlStorage
from order_service.application.commands import (
    AddOrderNote,
    AddProduct,
    CancelOrder,
    ChangeProduct,
    CorrectOrderDetails,
    PayOrder,
    RefundOrder,
    RestockProduct,
    RetireProduct,
    ShipOrder,
    TakePaymentNotification,
)
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.queries import get_order
from order_service.domain.errors import OrderServiceError
from order_service.domain.events import ALL_EVENT_TYPES, OrderPaid, OrderShipped
from order_service.domain.payments import PaymentNotification
from order_service.domain.values import Address, Customer, StockQuantity
from order_service.eventstore import codec
from order_service.eventstore.tables import events
from order_service.projections import rebuild
from order_service.projections.rebuild import UnknownEvents, rebuild_projections
from order_service.projections.tables import READ_MODEL_TABLES
from tests.integration.builders import (
    ADDRESS,
    add_product,
    add_shipping_method,
    available,
    order_of,
    place,
    unique,
)
from tests.newer_events import NEWER_TYPE, store_newer_event

EVERY_EVENT_TYPE = {event.TYPE for event in ALL_EVENT_TYPES}
JSON_COLUMNS = frozenset({"lines", "shipping_address", "billing_address",
                          "payment_notifications", "refunds"})


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, table by table, in key order."""
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(
                select(table).order_by(*table.primary_key.columns))]
            for table in READ_MODEL_TABLES
        }


def stored(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row as the database driver returns it (no SQLAlchemy types), so
    ids and timestamps are compared in their stored form; JSON is compared as values."""
    with engine.connect() as connection:
        return {
            table.name: sorted(
                tuple(json.loads(value) if isinstance(value, str) and name in JSON_COLUMNS
                      else value for name, value in row._mapping.items())
                for row in connection.exec_driver_sql(f"SELECT * FROM {table.name}"))
            for table in READ_MODEL_TABLES
        }


def notify(shop: Shop, context: CommandContext, order_id: UUID, *, amount: int | None = None,
           succeeded: bool = True, notification_id: str | None = None) -> None:
    """A gateway's notification for an order, for its total unless `amount` says otherwise."""
    order = get_order(shop.storage, order_id)
    shop.take_payment_notification(TakePaymentNotification(order_id, PaymentNotification(
        notification_id=notification_id or unique("ntf"), succeeded=succeeded,
        amount=order.total if amount is None else amount, currency=order.currency,
        payment_reference=unique("psp") if succeeded else None)), context)


def every_kind_of_event(shop: Shop, context: CommandContext) -> list[UUID]:
    """A history with every event type and every order fate; returns the order ids."""
    sku, other = add_product(shop, context, stock=50), add_product(shop, context, stock=9)
    method = add_shipping_method(shop, context)
    orders = [place(shop, context, [(sku, 2), (other, 1)], method).id for _ in range(9)]
    shop.restock_product(RestockProduct(other, 4), context)
    shop.pay_order(PayOrder(orders[0], payment_reference="bank-1"), context)
    shop.pay_order(PayOrder(orders[1]), context)  # paid without a reference
    shop.ship_order(ShipOrder(orders[1], tracking_number="TRK-1"), context)
    shop.cancel_order(CancelOrder(orders[2], reason="customer asked"), context)
    shop.cancel_order(CancelOrder(orders[3]), context)  # cancelled without a reason
    notify(shop, context, orders[4], succeeded=False)
    notify(shop, context, orders[4], amount=1)  # the wrong amount: recorded, not applied
    notify(shop, context, orders[4], notification_id="ntf-pays")  # pays it
    notify(shop, context, orders[4], notification_id="ntf-pays")  # a retry: no event
    notify(shop, context, orders[4])  # a second payment: already paid
    shop.ship_order(ShipOrder(orders[4]), context)
    shop.pay_order(PayOrder(orders[5]), context)
    shop.cancel_order(CancelOrder(orders[5], reason="out of stock after all"), context)
    notify(shop, context, orders[5])  # after the cancel
    keyed = CommandContext(correlation_id=str(uuid4()), caused_by="test", api_key_id="key-7")
    orders.append(place(shop, keyed, [(other, 1)], method).id)
    shop.restock_product(RestockProduct(sku, 1), context)
    after_the_sale(shop, context, orders, sku, other)
    return orders


def after_the_sale(shop: Shop, context: CommandContext, orders: list[UUID], sku: str,
                   other: str) -> None:
    """Corrections, refunds, notes and catalogue changes of what every_kind_of_event made."""
    moved = Address(name="Ada Lovelace", line1="Herengracht 502", city="Amsterdam",
                    postal_code="1017 CB", country="NL")
    shop.correct_order(CorrectOrderDetails(orders[0], None, shipping_address=moved), context)
    shop.correct_order(CorrectOrderDetails(
        orders[6], None, customer=Customer("Ada King", "ada@king.example"),
        billing_address=moved), context)
    shop.refund_order(RefundOrder(orders[0], 300, "scuffed", (StockQuantity(sku, 1),),
                                  restock=True), context)
    shop.refund_order(RefundOrder(orders[1], 150, "late"), context)
    shop.refund_order(RefundOrder(orders[0], 200, "goodwill", (StockQuantity(other, 1),)),
                      context)
    shop.add_order_note(AddOrderNote(orders[2], "called the customer\tback"), context)
    shop.change_product(ChangeProduct(other, name="Renamed product", price=777), context)
    shop.retire_product(RetireProduct(other), context)
    shop.change_product(ChangeProduct(sku, price=1), context)


def random_history(shop: Shop, context: CommandContext, seed: int, commands: int) -> int:
    """Run `commands` random commands, refusals included; returns how many were refused."""
    rng = random.Random(seed)
    skus = [add_product(shop, context, stock=rng.randint(0, 20), price=rng.randint(1, 5_000))
            for _ in range(4)]
    methods = [add_shipping_method(shop, context, price=price) for price in (0, 495)]
    order_ids: list[UUID] = []
    refused = 0
    for _ in range(commands):
        roll = rng.random()
        try:
            if roll < 0.05:
                sku = rng.choice([*skus, unique("SKU")])  # adding an existing SKU is refused
                shop.add_product(AddProduct(sku=sku, name=f"Product {sku}", price=999,
                                            currency=shop.terms.currency, stock=3), context)
                skus.append(sku)
            elif roll < 0.15:
                shop.restock_product(RestockProduct(rng.choice(skus), rng.randint(0, 10)),
                                     context)
            elif roll < 0.55:
                lines = [(rng.choice(skus), rng.randint(1, 3)) for _ in range(rng.randint(1, 3))]
                if rng.random() < 0.05:
                    lines.append((unique("SKU"), 1))
                order_ids.append(place(shop, context, lines, rng.choice(methods)).id)
            elif order_ids:
                change_an_order(shop, context, rng, rng.choice(order_ids))
        except OrderServiceError:
            refused += 1
    return refused


def change_an_order(shop: Shop, context: CommandContext, rng: random.Random,
                    order_id: UUID) -> None:
    """One change of an order, chosen at random (it may well be refused)."""
    change = rng.choice(["pay", "pay", "ship", "cancel", "notify", "refund", "correct"])
    if change == "refund":
        shop.refund_order(RefundOrder(order_id, rng.randint(1, 3_000), "random"), context)
    elif change == "correct":
        shop.correct_order(CorrectOrderDetails(order_id, None, customer=Customer(
            unique("name"), "someone@example.org")), context)
    elif change == "notify":
        notify(shop, context, order_id, succeeded=rng.random() < 0.8)
    elif change == "pay":
        shop.pay_order(PayOrder(order_id, payment_reference=unique("psp")), context)
    elif change == "ship":
        shop.ship_order(ShipOrder(order_id, tracking_number=unique("trk")), context)
    else:
        shop.cancel_order(CancelOrder(order_id, reason="random"), context)


@pytest.mark.parametrize("batch_size", [rebuild.BATCH_SIZE, 7], ids=["one-batch", "batches"])
def test_a_rebuild_reproduces_the_live_read_models(
    shop: Shop, context: CommandContext, engine: Engine, batch_size: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rebuild, "BATCH_SIZE", batch_size)
    refused = random_history(shop, context, seed=20261126, commands=300)
    live = snapshot(engine)
    assert refused > 0
    assert len(live["orders"]) > 20

    rebuild_projections(engine)

    assert snapshot(engine) == live


def test_a_rebuild_folded_by_worker_processes_reproduces_the_live_read_models(
    shop: Shop, context: CommandContext, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = random_history(shop, context, seed=20261204, commands=200)
    live = snapshot(engine)
    monkeypatch.setattr(rebuild, "BATCH_SIZE", 9)
    monkeypatch.setattr(rebuild, "WORKERS_FROM_EVENTS", 0)

    def not_here(*_: object) -> None:
        raise AssertionError("a batch was folded in the rebuilding process")

    # Workers are spawned: they import the modules afresh, without this patch.
    monkeypatch.setattr(rebuild, "fold_batch_on", not_here)
    reported: list[int] = []

    report = rebuild_projections(engine, progress=reported.append)

    assert snapshot(engine) == live
    assert len(reported) > 10
    assert refused > 0
    with engine.connect() as connection:
        assert report.events == sum(reported) == connection.execute(
            select(func.count()).select_from(events)).scalar_one()


def test_a_rebuild_writes_text_with_tabs_newlines_and_backslashes_as_the_projection_does(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    sku, method = add_product(shop, context, stock=3), add_shipping_method(shop, context)
    awkward = 'Ana\tMar\u00eda "la\\ de" \\N\nO\'Brien\r'
    order = replace(order_of([(sku, 1)], method),
                    customer=Customer(name=awkward, email="ana@example.org", phone=None),
                    shipping_address=replace(ADDRESS, line1=awkward))
    shop.place_order(order, context)
    live, live_stored = snapshot(engine), stored(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM orders"))

    rebuild_projections(engine)

    assert snapshot(engine) == live
    assert stored(engine) == live_stored


@pytest.mark.parametrize(
    "corruption",
    [
        "UPDATE products SET available = 999",
        "UPDATE products SET price = price + 1, name = 'wrong'",
        "DELETE FROM products",
        "DELETE FROM shipping_methods",
        "UPDATE orders SET status = 'shipped', version = 99",
        "DELETE FROM orders WHERE number = 1",
        "UPDATE order_numbers SET last_number = 0",
    ],
    ids=["stock", "price", "products", "shipping-methods", "order-status", "order-row",
         "order-number"],
)
def test_a_rebuild_repairs_a_corrupted_read_model(
    shop: Shop, context: CommandContext, engine: Engine, corruption: str
) -> None:
    random_history(shop, context, seed=7, commands=40)
    correct = snapshot(engine)
    with engine.begin() as connection:
        assert connection.execute(text(corruption)).rowcount > 0
    assert snapshot(engine) != correct

    rebuild_projections(engine)

    assert snapshot(engine) == correct


def test_orders_placed_after_a_rebuild_keep_their_numbers_gap_free(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    sku = add_product(shop, context, stock=10)
    postnl = add_shipping_method(shop, context)
    for _ in range(3):
        place(shop, context, [(sku, 1)], postnl)
    with engine.begin() as connection:
        connection.execute(text("UPDATE order_numbers SET last_number = 0"))

    rebuild_projections(engine)

    assert shop.place_order(order_of([(sku, 1)], postnl), context).number == 4


def test_the_progress_callback_counts_every_event(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    random_history(shop, context, seed=3, commands=60)
    with engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(events)).scalar_one()
    reported: list[int] = []

    report = rebuild_projections(engine, progress=reported.append)

    assert sum(reported) == stored
    assert report.events == stored


def test_events_appended_while_rebuilding_are_in_the_result(
    shop: Shop, context: CommandContext, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rebuild, "BATCH_SIZE", 5)
    sku = add_product(shop, context, stock=10)
    postnl = add_shipping_method(shop, context)
    for _ in range(6):
        place(shop, context, [(sku, 1)], postnl)
    during: list[dict[str, list[tuple[Any, ...]]]] = []

    def place_one_more(_events: int) -> None:
        if not during:  # first batch: the rebuild holds no lock between batches
            place(shop, context, [(sku, 2)], postnl)
            during.append(snapshot(engine))

    rebuild_projections(engine, progress=place_one_more)

    assert snapshot(engine) == during[0]
    assert len(during[0]["orders"]) == 7
    assert available(shop, sku) == 10 - 6 - 2


def test_changes_to_replayed_orders_while_rebuilding_are_in_the_result(
    shop: Shop, context: CommandContext, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rebuild, "BATCH_SIZE", 5)
    orders = every_kind_of_event(shop, context)
    sku = add_product(shop, context, stock=5)
    during: list[dict[str, list[tuple[Any, ...]]]] = []

    def change_replayed_orders(_events: int) -> None:
        if during:
            return
        shop.pay_order(PayOrder(orders[6], payment_reference="late"), context)
        shop.ship_order(ShipOrder(orders[0]), context)
        shop.cancel_order(CancelOrder(orders[7], reason="changed my mind"), context)
        notify(shop, context, orders[8], succeeded=False)
        notify(shop, context, orders[4])
        shop.restock_product(RestockProduct(sku, 3), context)
        method = add_shipping_method(shop, context, price=0)
        place(shop, context, [(add_product(shop, context, stock=2), 1), (sku, 4)], method)
        during.append(snapshot(engine))

    report = rebuild_projections(engine, progress=change_replayed_orders)

    assert snapshot(engine) == during[0]
    with engine.connect() as connection:
        assert report.events == connection.execute(
            select(func.count()).select_from(events)).scalar_one()


def test_changes_after_the_comparison_before_the_locks_are_in_the_result(
    shop: Shop, context: CommandContext, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders = every_kind_of_event(shop, context)
    sku = add_product(shop, context, stock=5)
    with engine.begin() as connection:  # so that the comparison notes this order
        connection.execute(text("UPDATE orders SET cancel_reason = 'wrong' WHERE id = :id"),
                           {"id": orders[6].hex if engine.dialect.name == "sqlite"
                            else orders[6]})
    compare = rebuild.note_differing_orders

    def compare_then_change(connection: Connection) -> None:
        compare(connection)
        # Too late for the comparison: only the catch-up can bring these in.
        shop.pay_order(PayOrder(orders[6], payment_reference="after-compare"), context)
        place(shop, context, [(sku, 2)], add_shipping_method(shop, context))

    monkeypatch.setattr(rebuild, "note_differing_orders", compare_then_change)

    rebuild_projections(engine)
    after = snapshot(engine)

    monkeypatch.undo()
    rebuild_projections(engine)
    assert snapshot(engine) == after
    repaired = get_order(shop.storage, orders[6])
    assert (repaired.status, repaired.payment_reference, repaired.cancel_reason) == (
        "paid", "after-compare", None)
    assert len(after["orders"]) == len(orders) + 1


def test_rebuilding_an_empty_store_leaves_empty_read_models(engine: Engine) -> None:
    empty = snapshot(engine)

    report = rebuild_projections(engine)

    assert snapshot(engine) == empty
    assert (report.events, report.orders, report.products) == (0, 0, 0)


def test_a_rebuild_after_every_kind_of_event_stores_exactly_what_the_projections_stored(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    every_kind_of_event(shop, context)
    with engine.connect() as connection:
        kinds = set(connection.scalars(select(events.c.type).distinct()))
    assert kinds == EVERY_EVENT_TYPE
    live, live_stored = snapshot(engine), stored(engine)

    rebuild_projections(engine)

    assert snapshot(engine) == live
    assert stored(engine) == live_stored


def test_a_rebuild_stores_whole_second_timestamps_as_the_projections_do(
    engine: Engine, context: CommandContext, shop: Shop
) -> None:
    start = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    ticks = iter(range(1_000))

    def whole_seconds() -> datetime:
        return start + timedelta(seconds=next(ticks))

    ticking = Shop(SqlStorage(engine, whole_seconds), shop.terms, whole_seconds)
    every_kind_of_event(ticking, context)
    live = stored(engine)

    rebuild_projections(engine)

    assert stored(engine) == live


def _renamed(data: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return {(new if key == old else key): value for key, value in data.items()}


def test_a_rebuild_upcasts_events_an_older_version_stored_and_agrees_with_the_reads(
    shop: Shop, context: CommandContext, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sku, method = add_product(shop, context, stock=5), add_shipping_method(shop, context)
    orders = [place(shop, context, [(sku, 1)], method).id for _ in range(3)]
    # An older version stored OrderPaid's reference as "reference" (its schema version 1).
    paid_at = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)
    store_newer_event(engine, f"order-{orders[0]}", event_type="OrderPaid", schema_version=1,
                      data={"order_id": str(orders[0]), "reference": "bank-old",
                            "paid_at": paid_at.isoformat().replace("+00:00", "Z")})
    # This version's OrderPaid is version 2 and reads version 1 through an upcaster.
    monkeypatch.setattr(OrderPaid, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(codec.UPCASTERS, ("OrderPaid", 1),
                        lambda data: _renamed(data, "reference", "payment_reference"))

    rebuild_projections(engine)

    upcast = get_order(shop.storage, orders[0])
    assert (upcast.status, upcast.payment_reference, upcast.paid_at, upcast.version) == (
        "paid", "bank-old", paid_at, 2)
    # Commands read the old event through the upcaster too; new events are version 2.
    shop.ship_order(ShipOrder(orders[0], tracking_number="TRK-1"), context)
    shop.pay_order(PayOrder(orders[1], payment_reference="bank-new"), context)
    with engine.connect() as connection:
        assert sorted(connection.scalars(select(events.c.schema_version)
                                         .where(events.c.type == "OrderPaid"))) == [1, 2]
    live = snapshot(engine)

    rebuild_projections(engine)

    assert snapshot(engine) == live
    assert get_order(shop.storage, orders[0]).status == "shipped"


# -- events a newer version stored -----------------------------------------------------


def test_a_rebuild_refuses_an_event_of_a_type_this_version_does_not_know_naming_it(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    orders = every_kind_of_event(shop, context)
    position = store_newer_event(engine, f"order-{orders[0]}")
    place(shop, context, [(add_product(shop, context, stock=1), 1)],
          add_shipping_method(shop, context))
    before = snapshot(engine)

    with pytest.raises(UnknownEvents) as refused:
        rebuild_projections(engine)

    assert f"position {position}" in str(refused.value)
    assert f"type '{NEWER_TYPE}'" in str(refused.value)
    assert snapshot(engine) == before


def test_a_rebuild_refuses_a_schema_version_newer_than_this_version_knows(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    orders = every_kind_of_event(shop, context)
    position = store_newer_event(engine, f"order-{orders[3]}", event_type="OrderShipped",
                                 schema_version=OrderShipped.SCHEMA_VERSION + 1,
                                 data={"order_id": str(orders[3]), "carrier": "DHL"})

    with pytest.raises(UnknownEvents, match=f"position {position} has the type 'OrderShipped' "
                       rf"\(schema version {OrderShipped.SCHEMA_VERSION + 1}\)"):
        rebuild_projections(engine)


def test_an_unknown_event_stored_while_rebuilding_stops_the_swap_and_changes_nothing(
    shop: Shop, context: CommandContext, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rebuild, "BATCH_SIZE", 5)
    orders = every_kind_of_event(shop, context)
    before = snapshot(engine)
    stored_during: list[int] = []

    def store_one_from_a_newer_version(_events: int) -> None:
        if not stored_during:  # the replay holds no lock between batches
            stored_during.append(store_newer_event(engine, f"order-{orders[1]}"))

    with pytest.raises(UnknownEvents) as refused:
        rebuild_projections(engine, progress=store_one_from_a_newer_version)

    assert f"position {stored_during[0]} has the type '{NEWER_TYPE}'" in str(refused.value)
    assert snapshot(engine) == before
