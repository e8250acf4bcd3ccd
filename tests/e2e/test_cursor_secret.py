"""The placeholder cursor secret is refused at start, except on the default SQLite file.

It is published in the source, so anyone could forge page cursors with it; only the
default database, the one for trying the service out, may run with it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from order_service.api.app import create_app
from order_service.settings import (
    DEFAULT_DATABASE_URL,
    PLACEHOLDER_CURSOR_SECRET,
    PlaceholderSecret,
    Settings,
)
from tests.servers import COMMAND


def test_create_app_refuses_the_placeholder_cursor_secret_naming_the_variable(
    database_url_for_test: str,
) -> None:
    settings = Settings(database_url=database_url_for_test,
                        cursor_secret=PLACEHOLDER_CURSOR_SECRET)

    with pytest.raises(PlaceholderSecret, match="ORDER_SERVICE_CURSOR_SECRET"):
        create_app(settings)


def test_create_app_takes_the_placeholder_on_the_default_sqlite_file() -> None:
    settings = Settings(database_url=DEFAULT_DATABASE_URL,
                        cursor_secret=PLACEHOLDER_CURSOR_SECRET)

    assert create_app(settings).title == "order-service"


def test_serve_refuses_the_placeholder_cursor_secret_before_touching_the_database(
    tmp_path: Path,
) -> None:
    database = tmp_path / "shop.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
    env["ORDER_SERVICE_DATABASE_URL"] = f"sqlite:///{database}"

    result = subprocess.run([str(COMMAND), "serve", "--port", "0"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 2
    assert result.stderr.startswith(
        "order-service: ORDER_SERVICE_CURSOR_SECRET is still the placeholder")
    assert "set it to a random value of your own" in result.stderr
    assert not database.exists()
