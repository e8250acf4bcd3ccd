"""The sales report (GET /v1/reports/sales) over HTTP: its fields agree with the export, its
period and currency parameters. What it sums per status, per period and per currency is
tests/contract/test_order_filters.py's; which times `from` and `to` refuse is
tests/unit/test_query_moments.py's, and their 422 naming the parameter test_hostile_input.py's.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.builders import (
    JsonObject,
    get_json,
)
from tests.e2e.expectations import assert_problem
from tests.e2e.exports import (
    MONEY,
    STATUSES,
    exported_orders,
    figures,
    varied_shop,
)

REPORT = "/v1/reports/sales"
ZERO = {"orders": 0, **dict.fromkeys(MONEY, 0)}


def _report(client: TestClient, **params: str) -> JsonObject:
    report: JsonObject = get_json(client, REPORT, params=params)
    return report


def _by_status(orders: list[JsonObject]) -> dict[str, JsonObject]:
    return {status: figures(o for o in orders if o["status"] == status) for status in STATUSES}


def test_each_status_has_the_count_and_money_summed_over_the_export(client: TestClient) -> None:
    varied_shop(client)
    exported = exported_orders(client, limit=5)

    report = _report(client)

    assert report["by_status"] == _by_status(exported)
    assert all(report["by_status"][status]["orders"] > 0 for status in STATUSES)


def test_an_empty_shop_reports_every_status_with_zeros(client: TestClient) -> None:
    report = _report(client)

    assert report == {"currency": "EUR", "from": None, "to": None,
                      "by_status": dict.fromkeys(STATUSES, ZERO),
                      "collected": ZERO, "pending": ZERO, "cancelled": ZERO}


def test_the_report_states_its_period_in_utc(client: TestClient) -> None:
    report = _report(client, **{"from": "2026-11-01", "to": "2026-12-01T01:00:00+01:00"})

    assert (report["from"], report["to"]) == ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")


def test_the_currency_is_the_shops_unless_asked(client: TestClient) -> None:
    varied_shop(client)

    assert _report(client) == _report(client, currency="EUR")
    assert _report(client)["currency"] == "EUR"
    # What a report in a currency without orders sums is the contract suite's.
    assert _report(client, currency="usd")["currency"] == "USD"


def test_an_unknown_currency_is_a_422_problem(client: TestClient) -> None:
    for currency in ("XYZ", "EURO", "1"):
        response = client.get(REPORT, params={"currency": currency})

        problem = assert_problem(response, 422)
        assert problem["errors"][0]["parameter"] == "currency", currency
