"""The order history export (GET /v1/orders/export) as a billing system uses it.

What its filters select, and that a walk meets every order once while orders are placed
and change between its pages, is tests/contract/test_order_filters.py's, on every storage;
what a page holds in each format is tests/unit/test_export_formats.py's, from orders and
documents that are GET's (tests/contract/test_read_models.py); which format an Accept
header chooses is test_export_params.py's, and which cursors open test_cursors.py's (a
junk one's 400 is test_altered_cursors.py's); which times the filters refuse is
test_query_moments.py's, and their 422 naming the parameter test_hostile_input.py's.
Here, the HTTP answers: media types, headers, links, parameters and their refusals.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from order_service.adapters.sql.engine import make_engine
from order_service.application.export import CSV_COLUMNS
from order_service.settings import Settings
from tests.api_keys import app_client
from tests.e2e.builders import (
    JsonObject,
    create_product,
    create_shipping_method,
    line,
    place_order,
)
from tests.e2e.expectations import assert_problem
from tests.e2e.exports import (
    EXPORT,
    act,
    csv_rows,
    exported_orders,
    ndjson_page_records,
    next_link,
    place_orders,
    refund,
    walk_by_link,
)

JSON = "application/json"
NDJSON = "application/x-ndjson"
CSV = "text/csv"


def _media_type(response: Any) -> str:
    return str(response.headers["content-type"]).split(";")[0].strip()


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _numbers(orders: list[JsonObject]) -> list[int]:
    return [order["number"] for order in orders]


# -- formats ------------------------------------------------------------------------------


def test_a_json_page_lists_orders_oldest_first_with_no_next_cursor_on_the_last_page(
    client: TestClient,
) -> None:
    placed = place_orders(client, 3)

    response = client.get(EXPORT, headers={"accept": JSON})

    assert response.status_code == 200, response.text
    assert _media_type(response) == JSON
    assert response.json().keys() == {"items", "next_cursor"}
    assert [item["id"] for item in response.json()["items"]] == [o["id"] for o in placed]
    assert response.json()["next_cursor"] is None
    assert "link" not in response.headers


def test_a_csv_page_is_utf_8_text_with_the_documented_columns_a_row_per_line(
    client: TestClient,
) -> None:
    product_a, product_b = create_product(client), create_product(client)
    order = place_order(client, [line(product_a["sku"], 2), line(product_b["sku"], 5)],
                        create_shipping_method(client)["code"])

    response = client.get(EXPORT, headers={"accept": CSV})

    assert response.headers["content-type"].replace(" ", "").lower() == "text/csv;charset=utf-8"
    header, rows = csv_rows(response.text)
    assert header == list(CSV_COLUMNS)
    assert [(row["id"], row["line_sku"]) for row in rows] == [
        (order["id"], product_a["sku"]), (order["id"], product_b["sku"])]


def test_every_format_carries_a_refunded_orders_refunds_as_get_shows_them(
    client: TestClient,
) -> None:
    (order,) = place_orders(client, 1)
    act(client, order, "pay")
    refund(client, order, 300, reason="parcel arrived late")
    sold = order["lines"][0]
    shown = refund(client, order, sold["unit_price"], reason="one was torn",
                   lines=[line(sold["sku"])], restock=True)

    as_json = exported_orders(client)
    as_ndjson = ndjson_page_records(client.get(EXPORT, params={"format": "ndjson"}).text)
    _, as_csv = csv_rows(client.get(EXPORT, params={"format": "csv"}).text)

    given_back = (300 + sold["unit_price"], shown["refunds"])
    assert (shown["refunded"], len(shown["refunds"])) == (given_back[0], 2)
    assert [(o["refunded"], o["refunds"]) for o in as_json] == [given_back]
    assert [(o["refunded"], o["refunds"]) for o in as_ndjson] == [given_back]
    assert [(int(row["refunded"]), json.loads(row["refunds"])) for row in as_csv] == [
        given_back]


def test_a_page_declares_its_length_so_a_transfer_cut_short_shows(client: TestClient) -> None:
    place_orders(client, 3)

    responses = {name: client.get(EXPORT, params={"format": name})
                 for name in ("json", "ndjson", "csv")}

    # Read whole before its status line, a page is sent with its Content-Length: every
    # HTTP client then notices a connection that ends before the last byte.
    assert {name: (r.status_code, r.headers.get("content-length"))
            for name, r in responses.items()} == {
        name: (200, str(len(r.content))) for name, r in responses.items()}


# -- negotiation --------------------------------------------------------------------------


# Which format each Accept value or format= chooses is tests/unit/test_export_params.py's;
# here, that the answer is sent in it and says it varies by Accept.
CHOICES = {("application/json", None): JSON, ("application/x-ndjson", None): NDJSON,
           ("text/csv", None): CSV, ("text/csv", "ndjson"): NDJSON}


def test_accept_or_the_format_parameter_chooses_the_format_and_caches_are_told_so(
    client: TestClient,
) -> None:
    place_orders(client, 1)

    answers = {(accept, name): client.get(EXPORT, headers={"accept": accept},
                                          params={"format": name} if name else {})
               for accept, name in CHOICES}

    assert {choice: _media_type(answer) for choice, answer in answers.items()} == CHOICES
    assert all("accept" in [part.strip().lower() for part in answer.headers["vary"].split(",")]
               for answer in answers.values())


def test_no_acceptable_format_is_a_406_problem(client: TestClient) -> None:
    response = client.get(EXPORT, headers={"accept": "image/png"})

    problem = assert_problem(response, 406)
    assert "format=" in problem["detail"]


def test_an_unknown_format_parameter_is_a_422_problem(client: TestClient) -> None:
    response = client.get(EXPORT, params={"format": "xml"})

    assert_problem(response, 422)


# -- page size ----------------------------------------------------------------------------


def test_a_page_holds_100_orders_unless_told_otherwise(client: TestClient) -> None:
    placed = place_orders(client, 101)

    first = client.get(EXPORT)
    second = client.get(next_link(first) or "")

    assert _numbers(first.json()["items"]) == _numbers(placed[:100])
    assert _numbers(second.json()["items"]) == [placed[100]["number"]]
    assert second.json()["next_cursor"] is None


def test_a_page_may_hold_up_to_1000_orders(client: TestClient) -> None:
    placed = place_orders(client, 12)

    response = client.get(EXPORT, params={"limit": 1000})

    assert response.status_code == 200, response.text
    assert _numbers(response.json()["items"]) == _numbers(placed)
    assert "link" not in response.headers


def test_a_limit_outside_1_to_1000_is_a_422_problem(client: TestClient) -> None:
    for limit in ("1001", "0", "-1", "ten", "2.5"):
        response = client.get(EXPORT, params={"limit": limit})

        problem = assert_problem(response, 422)
        assert problem["errors"][0]["parameter"] == "limit", limit


# -- walking pages ------------------------------------------------------------------------


def test_following_the_link_headers_gives_every_order_once_in_number_order(
    client: TestClient,
) -> None:
    placed = place_orders(client, 10)

    pages = walk_by_link(client, limit=3)

    assert [len(page.json()["items"]) for page in pages] == [3, 3, 3, 1]
    numbers = [item["number"] for page in pages for item in page.json()["items"]]
    assert numbers == _numbers(placed)


def test_the_next_link_is_absolute_and_keeps_the_filters_limit_and_format(
    client: TestClient,
) -> None:
    place_orders(client, 3)
    params = {"limit": "1", "format": "ndjson", "status": ["pending_payment", "paid"],
              "placed_from": "2000-01-01T00:00:00Z"}

    response = client.get(EXPORT, params=params)

    link = urlsplit(next_link(response) or "")
    assert (link.scheme, link.netloc, link.path) == ("http", "testserver", EXPORT)
    query = parse_qs(link.query)
    assert query.pop("cursor")
    assert query == {key: value if isinstance(value, list) else [value]
                     for key, value in params.items()}


@pytest.mark.parametrize("export_format", ["ndjson", "csv"])
def test_ndjson_and_csv_pages_are_walked_by_their_link_headers(
    client: TestClient, export_format: str,
) -> None:
    placed = place_orders(client, 7)

    pages = walk_by_link(client, limit=3, format=export_format)

    records = [ndjson_page_records(page.text) if export_format == "ndjson"
               else csv_rows(page.text)[1] for page in pages]
    assert [len(page) for page in records] == [3, 3, 1]
    assert [record["id"] for page in records for record in page] == [o["id"] for o in placed]


def test_a_cursor_continues_after_its_page_whatever_the_next_limit(client: TestClient) -> None:
    placed = place_orders(client, 8)
    cursor = client.get(EXPORT, params={"limit": 2}).json()["next_cursor"]

    response = client.get(EXPORT, params={"limit": 5, "cursor": cursor})

    assert _numbers(response.json()["items"]) == _numbers(placed[2:7])


# -- filters ------------------------------------------------------------------------------


def test_an_unknown_status_is_a_422_problem(client: TestClient) -> None:
    response = client.get(EXPORT, params={"status": "paid,refunded"})

    problem = assert_problem(response, 422)
    assert problem["errors"][0]["parameter"] == "status"


# -- cursors ------------------------------------------------------------------------------


def _cursor_of(client: TestClient, **params: Any) -> str:
    cursor: str = client.get(EXPORT, params={"limit": 1, **params}).json()["next_cursor"]
    assert cursor
    return cursor


def _assert_bad_cursor(response: Any) -> None:
    problem = assert_problem(response, 400)
    assert problem["type"] == "urn:order-service:problem:bad-cursor"
    assert problem["errors"][0]["parameter"] == "cursor"


OTHER_FILTERS: tuple[tuple[dict[str, str], dict[str, str]], ...] = (
    ({"status": "pending_payment"}, {"status": "paid"}),
    ({"status": "pending_payment"}, {}),
    ({}, {"status": "pending_payment"}),
    ({"status": "pending_payment"}, {"status": "pending_payment,paid"}),
    ({"placed_from": "2000-01-01"}, {"placed_from": "2000-01-02"}),
    ({"placed_to": "2999-01-01"}, {}),
    ({"updated_since": "2000-01-01"}, {"placed_from": "2000-01-01"}),
)


def test_a_cursor_made_for_other_filters_is_a_400_problem(client: TestClient) -> None:
    place_orders(client, 3)

    for made_for, used_with in OTHER_FILTERS:
        cursor = _cursor_of(client, **made_for)

        _assert_bad_cursor(client.get(EXPORT, params={**used_with, "cursor": cursor}))


def test_the_same_statuses_in_another_spelling_accept_the_cursor(client: TestClient) -> None:
    placed = place_orders(client, 3)
    act(client, placed[1], "pay")
    cursor = _cursor_of(client, status=["paid", "pending_payment"])

    response = client.get(EXPORT, params={"status": "pending_payment,paid", "cursor": cursor})

    assert response.status_code == 200, response.text
    assert _numbers(response.json()["items"]) == _numbers(placed[1:])


def test_a_cursor_from_the_orders_list_is_a_400_problem(client: TestClient) -> None:
    place_orders(client, 3)
    cursor = client.get("/v1/orders", params={"limit": 1}).json()["next_cursor"]
    assert cursor

    _assert_bad_cursor(client.get(EXPORT, params={"cursor": cursor}))


def test_a_cursor_signed_by_a_service_with_another_secret_is_a_400_problem(
    client: TestClient, settings: Settings, merchant_key: str,
) -> None:
    place_orders(client, 3)
    other = Settings(**{**settings.model_dump(), "cursor_secret": "another-shops-secret"})
    with app_client(other, merchant_key) as foreign:
        cursor = _cursor_of(foreign)

    _assert_bad_cursor(client.get(EXPORT, params={"cursor": cursor}))


# -- incremental sync -----------------------------------------------------------------------


# updated_at is when a change was decided, which can be a little before it commits; a
# sync by updated_since therefore asks again from a margin before its previous run (the
# README's advice) and keeps the latest version of each order.
LOOK_BACK = timedelta(minutes=5)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_an_incremental_sync_looking_back_a_margin_gets_a_change_that_committed_late(
    client: TestClient, database_url_for_test: str,
) -> None:
    order = place_orders(client, 1)[0]
    engine = make_engine(database_url_for_test, pool_size=2)
    try:
        with engine.connect() as holder, ThreadPoolExecutor(1) as pool:
            # A slow commit: the payment is decided (and timestamped), then waits on the row.
            holding = holder.begin()
            holder.execute(text("SELECT 1 FROM orders WHERE id = :id FOR UPDATE"),
                           {"id": order["id"]})
            paying = pool.submit(client.post, f"/v1/orders/{order['id']}/pay")
            _wait_for_a_lock_wait(engine)
            sync_started = datetime.now(UTC)
            first_sync = exported_orders(client, updated_since="2000-01-01T00:00:00Z")
            holding.commit()
            assert paying.result(timeout=30).status_code == 200
    finally:
        engine.dispose()
    assert [item["status"] for item in first_sync] == ["pending_payment"]

    second_sync = exported_orders(client, updated_since=_iso(sync_started - LOOK_BACK))

    assert [(item["id"], item["status"]) for item in second_sync] == [(order["id"], "paid")]


def _wait_for_a_lock_wait(engine: Any) -> None:
    deadline = time.monotonic() + 10
    with engine.connect() as probe:
        while time.monotonic() < deadline:
            waiting = probe.execute(text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"))
            if waiting.scalar_one():
                return
            probe.rollback()
            time.sleep(0.02)
    raise AssertionError("the payment never waited on the locked order row")
