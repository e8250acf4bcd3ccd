"""payment_instructions on every order the API sends, from the shop's current bank settings.

Every reader of an order (GET, the command answers, the order list, each export format,
`order-service export`) must say the same thing, on SQLite and on PostgreSQL. What each
payment method is told, and its JSON, is tests/unit/test_payment_instructions.py's; that a
document stored without them is spliced into the order's record, test_export_formats.py's;
that each storage's documents (GET's, the list's, the export's) carry them for every method,
with bank details set or not, tests/contract/test_read_models.py's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from order_service.settings import Settings
from tests.api_keys import app_client
from tests.e2e.builders import (
    JsonObject,
    create_product,
    create_shipping_method,
    get_json,
    line,
    place_order,
)
from tests.e2e.exports import EXPORT, act, csv_rows, ndjson_page_records

COMMAND = Path(sys.executable).with_name("order-service")
METHODS = ("bank_transfer", "card", "paypal", "cash_on_delivery")
# What JSON must escape, digits that look like an order's values, another script.
BANK = {"bank_account_holder": 'Zapatería "Ana" \\ 1042 S.L.',
        "bank_iban": "es91 2100 0418 4502 0005 1332", "bank_bic": "caixesbbxxx",
        "bank_name": "CaixaBank 東京", "bank_reference": "Order {number}/EUR"}
OTHER_BANK = {"bank_account_holder": "Zapatería Ana S.L.",
              "bank_iban": "DE89 3704 0044 0532 0130 00"}


@contextmanager
def _shop_with(settings: Settings, key: str, **changes: Any) -> Iterator[TestClient]:
    """A client sending `key` on this test's database, for a shop configured otherwise."""
    configured = Settings(**{**settings.model_dump(), **changes})
    with app_client(configured, key) as client:
        yield client


@pytest.fixture
def bank_client(settings: Settings, merchant_key: str) -> Iterator[TestClient]:
    """The merchant's client on a shop that has set its bank details (BANK)."""
    with _shop_with(settings, merchant_key, **BANK) as client:
        yield client


def _orders(client: TestClient, *methods: str) -> list[JsonObject]:
    """One order of two lines per payment method, as placed."""
    products = [create_product(client, price=price, stock=20) for price in (4990, 1250)]
    shipping = create_shipping_method(client, price=495)
    lines = [line(products[0]["sku"], 2), line(products[1]["sku"])]
    return [place_order(client, lines, shipping["code"], payment_method=method)
            for method in methods]


def _transfer(order: JsonObject, **bank: Any) -> JsonObject:
    return {"method": "bank_transfer", "account_holder": None, "iban": None, "bic": None,
            "bank_name": None, "amount": order["total"], "currency": "EUR",
            "reference": str(order["number"]), **bank}


# -- what each method is told -----------------------------------------------------------


def test_a_bank_transfer_order_is_answered_with_the_shops_account_total_and_reference(
    bank_client: TestClient,
) -> None:
    (order,) = _orders(bank_client, "bank_transfer")

    assert order["payment_instructions"] == _transfer(
        order, account_holder='Zapatería "Ana" \\ 1042 S.L.', iban="ES9121000418450200051332",
        bic="CAIXESBBXXX", bank_name="CaixaBank 東京",
        reference=f"Order {order['number']}/EUR")
    assert get_json(bank_client, f"/v1/orders/{order['id']}") == order


def test_paying_shipping_and_cancelling_answer_with_the_instructions_too(
    bank_client: TestClient,
) -> None:
    shipped, cancelled = _orders(bank_client, "bank_transfer", "cash_on_delivery")

    answers = [act(bank_client, shipped, "pay"), act(bank_client, shipped, "ship"),
               act(bank_client, cancelled, "cancel")]

    assert [a["payment_instructions"] for a in answers] == [
        shipped["payment_instructions"], shipped["payment_instructions"],
        cancelled["payment_instructions"]]


def test_setting_the_bank_details_later_completes_the_orders_already_waiting(
    settings: Settings, merchant_key: str,
) -> None:
    with _shop_with(settings, merchant_key) as before:
        (order,) = _orders(before, "bank_transfer")
    with _shop_with(settings, merchant_key, **OTHER_BANK) as after:
        now = get_json(after, f"/v1/orders/{order['id']}")
        listed = get_json(after, "/v1/orders")["items"]
        exported = get_json(after, EXPORT)["items"]

    expected = _transfer(order, account_holder="Zapatería Ana S.L.",
                         iban="DE89370400440532013000")
    assert now["payment_instructions"] == expected
    assert [item["payment_instructions"] for item in listed + exported] == [expected] * 2


# -- every reader agrees -----------------------------------------------------------------


def test_get_the_order_list_and_every_export_format_show_the_same_orders(
    bank_client: TestClient,
) -> None:
    placed = _orders(bank_client, *METHODS)
    act(bank_client, placed[0], "pay", payment_reference="TR-1")
    got = [get_json(bank_client, f"/v1/orders/{order['id']}") for order in placed]

    listed = get_json(bank_client, "/v1/orders")["items"]
    exported = get_json(bank_client, EXPORT, params={"format": "json"})["items"]
    ndjson = ndjson_page_records(bank_client.get(EXPORT, params={"format": "ndjson"}).text)
    _, rows = csv_rows(bank_client.get(EXPORT, params={"format": "csv"}).text)

    assert listed == got[::-1]
    assert exported == ndjson == got
    assert [row["transfer_reference"] for row in rows] == [
        f"Order {got[0]['number']}/EUR"] * 2 + [""] * 6  # two lines per order


@pytest.mark.parametrize("export_format", ["ndjson", "csv", "json"])
def test_the_command_line_export_carries_the_instructions_of_the_same_settings(
    bank_client: TestClient, database_url_for_test: str, tmp_path: Path, export_format: str,
) -> None:
    _orders(bank_client, *METHODS)
    out = tmp_path / f"orders.{export_format}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
    env.update({f"ORDER_SERVICE_{name.upper()}": value for name, value in BANK.items()},
               ORDER_SERVICE_DATABASE_URL=database_url_for_test)

    result = subprocess.run([str(COMMAND), "export", "--format", export_format, "--out",
                             str(out)], env=env, capture_output=True, timeout=60, check=False)

    assert result.returncode == 0, result.stderr.decode()
    answer = bank_client.get(EXPORT, params={"format": export_format})
    if export_format == "json":
        assert json.loads(out.read_bytes()) == answer.json()["items"]
    else:
        *lines, _trailer = answer.content.splitlines(keepends=True)  # a page's, not a file's
        assert out.read_bytes() == b"".join(lines)
