"""The sales report (GET /v1/reports/sales) over HTTP: its fields agree with the export, its
refunds and the money collected net of them, its period and currency parameters. What it
sums per status, per period and per currency is tests/contract/test_order_filters.py's;
which times `from` and `to` refuse is tests/unit/test_query_moments.py's, and their 422
naming the parameter test_hostile_input.py's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from tests.e2e.builders import (
    JsonObject,
    get_json,
)
from tests.e2e.expectations import assert_problem
from tests.e2e.exports import (
    MONEY,
    REFUNDED,
    STATUSES,
    act,
    exported_orders,
    figures,
    place_orders,
    refund,
    varied_shop,
)

REPORT = "/v1/reports/sales"
ZERO = {"orders": 0, **dict.fromkeys((*MONEY, REFUNDED), 0)}


def _report(client: TestClient, **params: str) -> JsonObject:
    report: JsonObject = get_json(client, REPORT, params=params)
    return report


def _by_status(orders: list[JsonObject]) -> dict[str, JsonObject]:
    return {status: figures(o for o in orders if o["status"] == status) for status in STATUSES}


def _net(sold: JsonObject) -> JsonObject:
    """Figures as `collected` shows them: the total less what was refunded."""
    return {**sold, "total": sold["total"] - sold[REFUNDED]}


def _paid(client: TestClient, count: int, *, shipped: bool = False) -> list[JsonObject]:
    orders = place_orders(client, count)
    for order in orders:
        act(client, order, "pay")
        if shipped:
            act(client, order, "ship")
    return orders


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
                      "collected": ZERO, "pending": ZERO, "cancelled": ZERO, "refunded": 0}


# -- refunds ------------------------------------------------------------------------------


def test_collected_is_the_paid_and_shipped_orders_with_their_refunds_taken_off_the_total(
    client: TestClient,
) -> None:
    varied_shop(client)
    kept = [order for order in exported_orders(client) if order["status"] in ("paid", "shipped")]

    report = _report(client)

    assert figures(kept)[REFUNDED] > 0
    assert report["collected"] == _net(figures(kept))


def test_refunded_is_every_refund_on_the_periods_orders_whatever_their_status_now(
    client: TestClient,
) -> None:
    varied_shop(client)
    exported = exported_orders(client)

    report = _report(client)

    given_back = sum(given["amount"] for order in exported for given in order["refunds"])
    assert report[REFUNDED] == given_back == sum(order[REFUNDED] for order in exported)
    # A paid order refunded in part, then cancelled: its refund is not in `collected`.
    assert report["by_status"]["cancelled"][REFUNDED] > 0
    assert report[REFUNDED] == report["collected"][REFUNDED] + report["cancelled"][REFUNDED]


def test_a_partial_refund_takes_its_amount_off_the_collected_total_only(
    client: TestClient,
) -> None:
    (order,) = _paid(client, 1)
    refund(client, order, 250)

    report = _report(client)

    assert report["by_status"]["paid"] == {**figures([order]), REFUNDED: 250}
    assert report["collected"] == {**figures([order]), "total": order["total"] - 250,
                                   REFUNDED: 250}
    assert report[REFUNDED] == 250


def test_a_full_refund_leaves_the_order_paid_or_shipped_and_nothing_of_it_collected(
    client: TestClient,
) -> None:
    paid, shipped = _paid(client, 1)[0], _paid(client, 1, shipped=True)[0]
    refunded = [refund(client, order, order["total"]) for order in (paid, shipped)]

    report = _report(client)

    assert [order["status"] for order in refunded] == ["paid", "shipped"]
    assert report["by_status"]["paid"] == {**figures([paid]), REFUNDED: paid["total"]}
    assert report["by_status"]["shipped"] == {**figures([shipped]), REFUNDED: shipped["total"]}
    assert report["collected"]["orders"] == 2
    assert report["collected"]["total"] == 0
    assert report[REFUNDED] == paid["total"] + shipped["total"]


def test_a_refund_counts_in_the_period_its_order_was_placed_in_whenever_it_was_given(
    client: TestClient,
) -> None:
    (order,) = _paid(client, 1)
    period_end = datetime.fromisoformat(order["placed_at"]) + timedelta(microseconds=1)
    refunded = refund(client, order, 400)
    assert datetime.fromisoformat(refunded["refunds"][0]["refunded_at"]) >= period_end

    placed_in_period = _report(client, to=period_end.isoformat())
    after_period = _report(client, **{"from": period_end.isoformat()})

    assert (placed_in_period[REFUNDED], placed_in_period["collected"]["total"]) == (
        400, order["total"] - 400)
    assert (after_period[REFUNDED], after_period["collected"]) == (0, ZERO)


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
