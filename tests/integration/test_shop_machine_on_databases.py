"""The random-command machine of tests/unit/test_shop_machine.py, on SQLite and PostgreSQL.

The same rules and model, with Shop over the SQL storage and a fresh database per
example: stock, orders, totals, numbers 1..N and every refusal where the model expects
one, after every step. At the end of each example the read models rebuilt from the
events must equal the live ones. How the API answers each outcome (status, problem type,
ETag, Location, a replay) is tests/e2e's, one test per mapping.

Runs 10 derandomised examples of up to 30 steps per backend by default;
ORDER_SERVICE_STATEFUL_EXAMPLES=500 explores longer, with fresh randomness each run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import Engine, select

from order_service.adapters.sql.engine import make_engine
from order_service.adapters.sql.storage import SqlStorage
from order_service.application.handlers import Shop
from order_service.projections.rebuild import rebuild_projections
from order_service.projections.tables import READ_MODEL_TABLES
from tests.integration.databases import Databases
from tests.unit.shop_given import TERMS
from tests.unit.test_shop_machine import EXAMPLES_VARIABLE, ShopMachine


def read_models(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, table by table, in key order."""
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(
                select(table).order_by(*table.primary_key.columns))]
            for table in READ_MODEL_TABLES
        }


class ShopOnDatabase(ShopMachine):
    """The shop machine with its shop on a fresh database; the test names the source."""

    databases: Databases

    def __init__(self) -> None:
        super().__init__()
        self.url = self.databases.create()
        self.engine = make_engine(self.url)
        self.shop = Shop(SqlStorage(self.engine, lambda: datetime.now(UTC)), TERMS,
                         lambda: datetime.now(UTC))

    def teardown(self) -> None:
        """Every history is the model's, and a rebuild gives back the live read models."""
        try:
            super().teardown()
            live = read_models(self.engine)
            rebuild_projections(self.engine)
            assert read_models(self.engine) == live
        finally:
            self.engine.dispose()
            self.databases.release(self.url)


def _hypothesis_settings() -> settings:
    examples = os.environ.get(EXAMPLES_VARIABLE)
    return settings(
        max_examples=int(examples) if examples else 10,
        stateful_step_count=30,
        deadline=None,
        # Reproducible in CI; a longer local run explores with fresh randomness.
        derandomize=examples is None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
        report_multiple_bugs=False,
    )


def test_random_command_sequences_keep_the_stored_shop_consistent_with_the_model(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    source = Databases(backend, request, tmp_path)

    class Machine(ShopOnDatabase):
        databases = source

    try:
        run_state_machine_as_test(Machine, settings=_hypothesis_settings())
    finally:
        source.close()
