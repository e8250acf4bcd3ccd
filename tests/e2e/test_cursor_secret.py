"""The placeholder cursor secret is refused at start, except on the default SQLite file.

It is published in the source, so anyone could forge page cursors with it; only the
default database, the one for trying the service out, may run with it. That create_app
refuses it, and takes it on the default file, is tests/unit/test_invalid_settings.py's.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.servers import COMMAND


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
