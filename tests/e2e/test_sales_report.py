"""The sales report (GET /v1/reports/sales) agrees to the cent with the order export."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

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
from tests.e2e.expectations import assert_problem
from tests.e2e.exports import (
    MONEY,
    STATUSES,
    act,
    exported_orders,
    figures,
    place_orders,
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


def test_the_shop_built_for_the_report_has_tax_and_several_shipping_prices(
    client: TestClient,
) -> None:
    orders = varied_shop(client)

    assert {o["status"] for o in orders} == set(STATUSES)
    assert len({o["shipping"] for o in orders}) >= 3
    assert all(o["tax"] > 0 for o in orders)
    assert all(o["total"] == o["subtotal"] + o["shipping"] + o["tax"] for o in orders)


@pytest.mark.parametrize(("summary", "statuses"), [
    ("collected", ("paid", "shipped")),
    ("pending", ("pending_payment",)),
    ("cancelled", ("cancelled",)),
])
def test_a_summary_figure_is_the_sum_of_its_statuses_in_the_export(
    client: TestClient, summary: str, statuses: tuple[str, ...],
) -> None:
    varied_shop(client)
    exported = exported_orders(client)

    report = _report(client)

    assert report[summary] == figures(o for o in exported if o["status"] in statuses)
    assert report[summary] == {key: sum(report["by_status"][s][key] for s in statuses)
                               for key in ("orders", *MONEY)}


def test_an_empty_shop_reports_every_status_with_zeros(client: TestClient) -> None:
    report = _report(client)

    assert report == {"currency": "EUR", "from": None, "to": None,
                      "by_status": dict.fromkeys(STATUSES, ZERO),
                      "collected": ZERO, "pending": ZERO, "cancelled": ZERO}


def test_a_payment_moves_an_order_from_pending_to_collected(client: TestClient) -> None:
    order = place_orders(client, 1)[0]
    before = _report(client)

    act(client, order, "pay")

    after = _report(client)
    money = {"orders": 1, **{key: order[key] for key in MONEY}}
    assert (before["pending"], before["collected"]) == (money, ZERO)
    assert (after["pending"], after["collected"]) == (ZERO, money)


def test_from_and_to_restrict_the_report_to_orders_placed_in_between(client: TestClient) -> None:
    orders = varied_shop(client)
    start, end = orders[3]["placed_at"], orders[11]["placed_at"]

    report = _report(client, **{"from": start, "to": end})

    assert report["by_status"] == _by_status(orders[3:11])
    assert report["by_status"] == _by_status(
        exported_orders(client, placed_from=start, placed_to=end))


def test_from_includes_an_order_placed_at_that_instant_and_to_excludes_it(
    client: TestClient,
) -> None:
    first, second, _ = place_orders(client, 3)

    at_second = _report(client, **{"from": second["placed_at"], "to": second["placed_at"]})
    only_second = _report(client, **{"from": second["placed_at"]})
    before_second = _report(client, to=second["placed_at"])

    assert at_second["pending"]["orders"] == 0
    assert only_second["pending"]["orders"] == 2
    assert before_second["pending"] == {"orders": 1, **{key: first[key] for key in MONEY}}


def test_the_report_states_its_period_in_utc(client: TestClient) -> None:
    report = _report(client, **{"from": "2026-11-01", "to": "2026-12-01T01:00:00+01:00"})

    assert (report["from"], report["to"]) == ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")


def test_a_period_in_another_zone_covers_the_same_orders(client: TestClient) -> None:
    orders = place_orders(client, 3)
    moment = datetime.fromisoformat(orders[1]["placed_at"]).astimezone(
        timezone(timedelta(hours=-7)))

    report = _report(client, **{"from": moment.isoformat()})

    assert report["pending"] == figures(orders[1:])


def test_the_currency_is_the_shops_unless_asked(client: TestClient) -> None:
    varied_shop(client)

    assert _report(client) == _report(client, currency="EUR")
    assert _report(client)["currency"] == "EUR"


def test_a_currency_the_shop_has_no_orders_in_reports_zeros(client: TestClient) -> None:
    varied_shop(client)

    report = _report(client, currency="usd")

    assert report["currency"] == "USD"
    assert report["by_status"] == dict.fromkeys(STATUSES, ZERO)
    assert (report["collected"], report["pending"], report["cancelled"]) == (ZERO, ZERO, ZERO)


def test_orders_in_another_currency_are_reported_apart(
    client: TestClient, settings: Settings, merchant_key: str,
) -> None:
    euro_orders = varied_shop(client)
    dollars = Settings(**{**settings.model_dump(), "currency": "USD"})
    with app_client(dollars, merchant_key) as dollar_shop:
        product = create_product(dollar_shop, price=2500)
        method = create_shipping_method(dollar_shop, price=700)
        dollar_order = place_order(dollar_shop, [line(product["sku"], 2)], method["code"])
        dollar_report = _report(dollar_shop)

    euro_report = _report(client)

    assert dollar_report["currency"] == "USD"
    assert dollar_report["pending"] == {"orders": 1, **{k: dollar_order[k] for k in MONEY}}
    assert euro_report["by_status"] == _by_status(euro_orders)


def test_a_bad_from_or_to_is_a_422_problem(client: TestClient) -> None:
    for parameter in ("from", "to"):
        for value in ("yesterday", "0.5", "2026-02-30"):
            response = client.get(REPORT, params={parameter: value})

            problem = assert_problem(response, 422)
            assert problem["errors"][0]["parameter"] == parameter, value


def test_an_unknown_currency_is_a_422_problem(client: TestClient) -> None:
    for currency in ("XYZ", "EURO", "1"):
        response = client.get(REPORT, params={"currency": currency})

        problem = assert_problem(response, 422)
        assert problem["errors"][0]["parameter"] == "currency", currency
