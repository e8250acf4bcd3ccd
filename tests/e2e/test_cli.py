"""The order-service command as an operator runs it: migrate, rebuild, bad settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from order_service.application.commands import AddProduct, RestockProduct
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.queries import get_product
from tests.newer_events import store_newer_event

COMMAND = Path(sys.executable).with_name("order-service")


def run(*args: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **{f"ORDER_SERVICE_{k.upper()}": v for k, v in settings.items()}}
    return subprocess.run(
        [str(COMMAND), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )


def test_migrate_without_settings_creates_the_sqlite_file_in_the_working_directory(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
    result = subprocess.run(
        [str(COMMAND), "migrate"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "order-service.db").is_file()
    assert "up to date" in result.stderr


def test_rebuild_projections_replays_every_event_with_progress_and_keeps_the_stock(
    shop: Shop, context: CommandContext, database_url_for_test: str, tmp_path: Path
) -> None:
    shop.add_product(AddProduct(sku="BOOT-1", name="Boot", price=9900, currency="EUR",
                                stock=3), context)
    shop.restock_product(RestockProduct(sku="BOOT-1", quantity=4), context)

    result = run("rebuild-projections", cwd=tmp_path, database_url=database_url_for_test)

    assert result.returncode == 0, result.stderr
    assert "2/2" in result.stderr  # the progress bar reached every event
    assert "rebuilt read models from 2 events" in result.stderr
    assert get_product(shop.storage, "BOOT-1").available == 7


def test_rebuild_projections_refuses_an_event_type_it_does_not_know_naming_it_and_the_fix(
    shop: Shop, context: CommandContext, engine: Engine, database_url_for_test: str,
    tmp_path: Path
) -> None:
    shop.add_product(AddProduct(sku="BOOT-1", name="Boot", price=9900, currency="EUR",
                                stock=3), context)
    position = store_newer_event(engine, "gift-card-GC-1", event_type="GiftCardIssued")

    result = run("rebuild-projections", cwd=tmp_path, database_url=database_url_for_test)

    assert result.returncode == 2, result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("order-service: the event at position ")
    assert f"position {position} has the type 'GiftCardIssued'" in message
    assert "Rebuild with that version" in message
    assert "Traceback" not in result.stderr


def test_an_invalid_setting_is_one_line_naming_the_variable_and_exit_status_2(
    tmp_path: Path,
) -> None:
    result = run("migrate", cwd=tmp_path, currency="XYZ")

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "order-service: invalid setting ORDER_SERVICE_CURRENCY: "
        "'XYZ' is not an ISO 4217 currency code (e.g. EUR, USD, GBP)"
    ]


def test_an_unreachable_database_is_reported_with_the_fix_not_a_traceback(
    tmp_path: Path,
) -> None:
    result = run("migrate", cwd=tmp_path,
                 database_url="postgresql://nobody@127.0.0.1:1/none")

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "check ORDER_SERVICE_DATABASE_URL" in result.stderr


def test_rebuild_on_a_database_never_migrated_says_to_migrate(tmp_path: Path) -> None:
    result = run("rebuild-projections", cwd=tmp_path,
                 database_url=f"sqlite:///{tmp_path / 'empty.db'}")

    assert result.returncode == 2
    assert "run `order-service migrate`" in result.stderr
