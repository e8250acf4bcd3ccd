"""The hot reads find an idempotency key by index however small the table was when
the connection first ran them (PostgreSQL).

A connection lives as long as its worker. Had it kept the generic plan it made while the
keys were few, each placement would scan and hash every key ever kept (a full bench lost
half its placements/s that way).
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from order_service.adapters.sql.async_pool import opened_pool
from order_service.adapters.sql.async_two_step import _ORDER_INPUTS, _PLACEMENT_INPUTS
from order_service.adapters.sql.engine import Timeouts, make_engine
from order_service.settings import Settings
from tests.jetstream import run_async

# One item of each read's batch, asking for a key that was never kept.
HOT_READS = {
    "placement": (_PLACEMENT_INPUTS, {"skus": ["HAT-STRAW"], "shipping_code": "standard",
                                      "key": "never-sent"}),
    "pay, ship or cancel": (_ORDER_INPUTS, {"stream": "order-x", "key": "never-sent",
                                            "order_id": "00000000-0000-0000-0000-000000000000"}),
}


async def plan_once_grown(url: str, statement: str, item: dict[str, str]) -> str:
    """The plan a pool connection uses for `statement` after running it often on an
    empty idempotency_keys table, once the table has grown to 20,000 keys."""
    batch = json.dumps([item] * 3).replace("'", "''")
    async with opened_pool(url, 1, Timeouts()) as pool, pool.acquire() as connection:
        await connection.execute(f"PREPARE hot_read AS {statement}")
        for _ in range(10):  # past the five calls after which a generic plan is cached
            await connection.execute(f"EXECUTE hot_read('{batch}')")
        await connection.execute(
            "INSERT INTO idempotency_keys (key, fingerprint, recording, created_at) "
            "SELECT 'grown-' || n, 'f', NULL, now() FROM generate_series(1, 20000) AS n")
        rows = await connection.fetch(f"EXPLAIN EXECUTE hot_read('{batch}')")
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("read", HOT_READS)
def test_a_hot_read_looks_the_key_up_by_index_once_the_keys_have_grown(
    settings: Settings, read: str,
) -> None:
    statement, item = HOT_READS[read]

    plan = run_async(plan_once_grown(settings.database_url, statement, item))

    assert "Index Scan using pk_idempotency_keys" in plan, plan
    assert "Seq Scan on idempotency_keys" not in plan, plan


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_blocking_engine_plans_each_call_too(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            mode = connection.execute(text("SHOW plan_cache_mode")).scalar_one()
    finally:
        engine.dispose()
    assert mode == "force_custom_plan"


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_batch_functions_keep_plans_that_find_rows_by_key(settings: Settings) -> None:
    # Inside them each statement of each order would otherwise be planned again; and a
    # plan kept from while a table was small must not scan it whole once it has grown.
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            configs = dict(connection.execute(text(
                "SELECT proname, proconfig FROM pg_proc "
                "WHERE proname IN ('place_orders', 'change_orders')")).all())
    finally:
        engine.dispose()
    assert configs == {name: ["plan_cache_mode=auto", "enable_seqscan=off"]
                       for name in ("place_orders", "change_orders")}
