"""A setting the service cannot run with, explained in the one line a command prints.

Settings refuses it; cli.errors.explain words the refusal as `order-service <command>`
prints it before exiting 2. That `serve` and `migrate` do print it, exit 2 and touch no
database is tests/e2e's (test_bank_settings.py, test_cli.py, test_cursor_secret.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from order_service.api.app import create_app
from order_service.cli.errors import explain
from order_service.settings import (
    DEFAULT_DATABASE_URL,
    PLACEHOLDER_CURSOR_SECRET,
    PlaceholderSecret,
    Settings,
)

HOLDER = "Zapatería Ana S.L."


def _explained(**settings: Any) -> str:
    with pytest.raises(ValidationError) as refused:
        Settings(**settings)
    return explain(refused.value)


def test_a_malformed_bic_is_explained_naming_its_variable() -> None:
    explained = _explained(bank_account_holder=HOLDER, bank_iban="DE89370400440532013000",
                           bank_bic="COBADEF")

    assert explained.startswith(
        "invalid setting ORDER_SERVICE_BANK_BIC: 'COBADEF' is not a BIC")


def test_an_iban_without_its_account_holder_is_explained_naming_what_is_missing() -> None:
    explained = _explained(bank_iban="DE89370400440532013000", bank_name="Commerzbank")

    assert explained == (
        "invalid setting bank details are incomplete: set ORDER_SERVICE_BANK_ACCOUNT_HOLDER "
        "too (a transfer needs the account holder and the IBAN), or none")


def test_an_unknown_time_zone_is_explained_naming_its_variable() -> None:
    explained = _explained(time_zone="Europe/Atlantis")

    assert explained == (
        "invalid setting ORDER_SERVICE_TIME_ZONE: 'Europe/Atlantis' is not an IANA time zone "
        "name (e.g. UTC, Europe/Madrid, America/New_York)")


# The placeholder cursor secret is published in the source, so anyone could forge page
# cursors with it; only the default database, the one for trying the service out, may
# run with it. Building the app opens no database.
def test_create_app_refuses_the_placeholder_cursor_secret_naming_the_variable() -> None:
    settings = Settings(database_url="sqlite:///never-opened.db",
                        cursor_secret=PLACEHOLDER_CURSOR_SECRET)

    with pytest.raises(PlaceholderSecret, match="ORDER_SERVICE_CURSOR_SECRET"):
        create_app(settings)


def test_create_app_takes_the_placeholder_on_the_default_sqlite_file() -> None:
    settings = Settings(database_url=DEFAULT_DATABASE_URL,
                        cursor_secret=PLACEHOLDER_CURSOR_SECRET)

    assert create_app(settings).title == "order-service"
