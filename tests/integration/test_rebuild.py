"""Rebuilding the read models from the events gives back exactly what the live projections built."""

from __future__ import annotations

import random
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine, func, select, text

from order_service.application.commands import (
    AddProduct,
    CancelOrder,
    PayOrder,
    RestockProduct,
    ShipOrder,
)
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.domain.errors import OrderServiceError
from order_service.eventstore.tables import events
from order_service.projections import rebuild
from order_service.projections.rebuild import rebuild_projections
from order_service.projections.tables import READ_MODEL_TABLES
from tests.integration.builders import (
    add_product,
    add_shipping_method,
    available,
    order_of,
    place,
    unique,
)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, table by table, in key order."""
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(
                select(table).order_by(*table.primary_key.columns))]
            for table in READ_MODEL_TABLES
        }


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
                order_id = rng.choice(order_ids)
                change = rng.choice(["pay", "pay", "ship", "cancel"])
                if change == "pay":
                    shop.pay_order(PayOrder(order_id, payment_reference=unique("psp")), context)
                elif change == "ship":
                    shop.ship_order(ShipOrder(order_id, tracking_number=unique("trk")), context)
                else:
                    shop.cancel_order(CancelOrder(order_id, reason="random"), context)
        except OrderServiceError:
            refused += 1
    return refused


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


def test_rebuilding_an_empty_store_leaves_empty_read_models(engine: Engine) -> None:
    empty = snapshot(engine)

    report = rebuild_projections(engine)

    assert snapshot(engine) == empty
    assert (report.events, report.orders, report.products) == (0, 0, 0)
