"""The shop's bank details are checked when `order-service serve` starts, not when a
customer's transfer bounces: a mistake stops the start with one line naming the variable.

The line each other mistake gets (a malformed BIC, an IBAN without its holder) is
tests/unit/test_invalid_settings.py's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.servers import CURSOR_SECRET_VARIABLE, TEST_CURSOR_SECRET

COMMAND = Path(sys.executable).with_name("order-service")
HOLDER = "Zapatería Ana S.L."


def _serve(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
    env["ORDER_SERVICE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'shop.db'}"
    env[CURSOR_SECRET_VARIABLE] = TEST_CURSOR_SECRET
    env.update({f"ORDER_SERVICE_{name.upper()}": value for name, value in settings.items()})
    # A bad setting stops it before it binds a port; a good one would serve until killed.
    return subprocess.run([str(COMMAND), "serve", "--port", "0"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_serve_refuses_an_iban_with_a_wrong_checksum_naming_the_variable(tmp_path: Path
                                                                          ) -> None:
    result = _serve(tmp_path, bank_account_holder=HOLDER,
                    bank_iban="DE89 3704 0044 0532 0130 01")

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "order-service: invalid setting ORDER_SERVICE_BANK_IBAN: "
        "'DE89 3704 0044 0532 0130 01' is not a valid IBAN: its check digits 89 do not match "
        "the rest (mod 97), so a character is mistyped"]
    assert not (tmp_path / "shop.db").exists(), "it stopped before touching the database"
