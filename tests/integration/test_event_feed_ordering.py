"""Why a follower of the event feed never skips an event: appends commit in position order.

On PostgreSQL a position is taken from a sequence when a row is inserted, but the row
becomes visible only when its transaction commits. A slow transaction A that inserted
first can commit after a quick transaction B: a follower that saw B and moved past B's
position would never look below it again, and A's event would be lost to it. The event
store holds an advisory lock from insert to commit so that B waits for A. These tests
play that interleaving through the event store, and with plain INSERTs that take no lock.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlalchemy import Connection, Engine, insert, select

from order_service.adapters.sql.storage import SqlStorage
from order_service.application import queries
from order_service.application.commands import AddProduct
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.domain.events import ProductRestocked, product_stream
from order_service.eventstore.codec import encode
from order_service.eventstore.tables import events
from tests.conftest import utc_now

TIMEOUT_S = 20.0
# Long enough for an unblocked commit to land; a blocked one must still be waiting.
QUICK_COMMIT_WITHIN_S = 1.0


@dataclass(frozen=True)
class Interleaving:
    """What happened when a quick append raced a slow one."""

    slow_position: int
    quick_position: int
    quick_committed_while_slow_was_open: bool
    seen_by_follower: list[int]
    seen_from_the_start: list[int]


def _new_product(shop: Shop, context: CommandContext, prefix: str) -> str:
    sku = f"{prefix}-{uuid.uuid4().hex[:8].upper()}"
    shop.add_product(AddProduct(sku=sku, name=sku, price=100, currency="EUR", stock=1), context)
    return sku


def _through_the_event_store(storage: SqlStorage, context: CommandContext
                             ) -> Callable[[str, Callable[[], None]], None]:
    """Appends a restock as a command does; `inserted` runs between insert and commit."""

    def append_restock(sku: str, inserted: Callable[[], None]) -> None:
        with storage.transaction(context) as tx:
            restocked = ProductRestocked(sku=sku, quantity=1, restocked_at=utc_now())
            tx.events.append(product_stream(sku), [restocked], expected_version=1)
            # What the unit of work does right before COMMIT, done early so that the
            # transaction stays open with its event inserted, as a slow commit would.
            tx.events.flush()
            inserted()

    return append_restock


def _with_plain_inserts(engine: Engine) -> Callable[[str, Callable[[], None]], None]:
    """Appends a restock with a bare INSERT, as a store without the append lock would."""

    def append_restock(sku: str, inserted: Callable[[], None]) -> None:
        with engine.begin() as connection:
            _insert_restock(connection, sku)
            inserted()

    return append_restock


def _insert_restock(connection: Connection, sku: str) -> None:
    restocked = ProductRestocked(sku=sku, quantity=1, restocked_at=utc_now())
    connection.execute(insert(events).values(
        stream_id=product_stream(sku), version=2, type=restocked.TYPE,
        schema_version=restocked.SCHEMA_VERSION, data=encode(restocked), metadata={},
        recorded_at=restocked.restocked_at))


def _slow_and_quick_append(shop: Shop, context: CommandContext, engine: Engine,
                           append_restock: Callable[[str, Callable[[], None]], None]
                           ) -> Interleaving:
    """A appends and holds its transaction open; B appends and commits; then A commits.

    A follower polls the feed from before both: once while A is open, then after both
    committed, each time continuing from the `next_after` it was given.
    """
    slow_sku = _new_product(shop, context, "SLOW")
    quick_sku = _new_product(shop, context, "QUICK")
    storage = SqlStorage(engine, utc_now)
    start = queries.follow_events(storage, after=0, limit=1000).next_after
    slow_appended, commit_slow, quick_committed = (threading.Event() for _ in range(3))

    def hold_open() -> None:
        slow_appended.set()
        assert commit_slow.wait(TIMEOUT_S), "the test never let the slow one commit"

    def append_slow() -> None:
        append_restock(slow_sku, hold_open)

    def append_quick() -> None:
        append_restock(quick_sku, lambda: None)
        quick_committed.set()

    seen: list[int] = []
    after = start

    def poll() -> None:
        nonlocal after
        page = queries.follow_events(storage, after=after, limit=10)
        seen.extend(event.position for event in page.items)
        after = page.next_after

    with ThreadPoolExecutor(max_workers=2) as pool:
        slow = pool.submit(append_slow)
        try:
            assert slow_appended.wait(TIMEOUT_S)
            quick = pool.submit(append_quick)
            quick_first = quick_committed.wait(QUICK_COMMIT_WITHIN_S)
            poll()
        finally:
            commit_slow.set()
        slow.result(timeout=TIMEOUT_S)
        quick.result(timeout=TIMEOUT_S)
    poll()
    poll()

    with engine.connect() as connection:
        rows = connection.execute(select(events.c.stream_id, events.c.position)
                                  .where(events.c.type == "ProductRestocked"))
        positions = {row.stream_id: row.position for row in rows}
    from_the_start = queries.follow_events(storage, after=start, limit=10).items
    return Interleaving(
        slow_position=positions[product_stream(slow_sku)],
        quick_position=positions[product_stream(quick_sku)],
        quick_committed_while_slow_was_open=quick_first,
        seen_by_follower=seen,
        seen_from_the_start=[event.position for event in from_the_start],
    )


@pytest.mark.parametrize("backend", ["postgresql"])
def test_with_serialised_appends_a_follower_sees_a_slow_commit_before_a_later_one(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    race = _slow_and_quick_append(
        shop, context, engine, _through_the_event_store(SqlStorage(engine, utc_now), context))

    assert not race.quick_committed_while_slow_was_open
    assert race.slow_position < race.quick_position
    assert race.seen_by_follower == [race.slow_position, race.quick_position]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_without_the_append_lock_a_follower_misses_the_slow_commit_for_ever(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    race = _slow_and_quick_append(shop, context, engine, _with_plain_inserts(engine))

    assert race.quick_committed_while_slow_was_open
    assert race.slow_position < race.quick_position
    assert race.seen_by_follower == [race.quick_position]
    assert race.seen_from_the_start == [race.slow_position, race.quick_position]
