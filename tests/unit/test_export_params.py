"""Reading the export's query: the format a client prefers, and its status filters.

That the export answers in the chosen format, with Vary: Accept, and that a refusal is a
406 or 422 problem, is tests/e2e/test_export.py's.
"""

from __future__ import annotations

import pytest

from order_service.api.errors import NotAcceptable, UnknownStatusFilter
from order_service.api.export_params import choose_format, parse_statuses
from order_service.domain.values import OrderStatus

ACCEPT_CHOICES = {
    "application/json": "json",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "text/csv": "csv",
    "text/*": "csv",
    "application/*": "json",
    "*/*": "json",
    "": "json",
    "Text/CSV; charset=utf-8": "csv",
}
Q_VALUE_CHOICES = {
    "application/x-ndjson;q=0.5, text/csv;q=0.9": "csv",
    "text/csv;q=0.2, application/json;q=0.8": "json",
    "application/json;q=0.1, application/x-ndjson": "ndjson",
    "image/png, text/html, text/csv;q=0.3": "csv",
    "text/csv;q=0, application/x-ndjson;q=0.1": "ndjson",
    "text/html, */*;q=0.1": "json",
    "text/csv;q=oops, application/x-ndjson;q=0.1": "ndjson",
}


@pytest.mark.parametrize(("accept", "chosen"), ACCEPT_CHOICES.items())
def test_accept_chooses_the_format(accept: str, chosen: str) -> None:
    assert choose_format(None, accept) == chosen


def test_without_accept_the_format_is_json() -> None:
    assert choose_format(None, None) == "json"


@pytest.mark.parametrize(("accept", "chosen"), Q_VALUE_CHOICES.items())
def test_the_acceptable_format_with_the_highest_q_value_wins(accept: str, chosen: str) -> None:
    assert choose_format(None, accept) == chosen


def test_a_format_refused_by_name_is_not_chosen_for_a_wildcard() -> None:
    assert choose_format(None, "application/json;q=0, */*") in ("ndjson", "csv")


@pytest.mark.parametrize(("accept", "given"), [
    ("text/csv", "ndjson"), ("application/x-ndjson", "csv"), ("text/csv", "json"),
    ("image/png", "csv"),
])
def test_the_format_parameter_overrides_accept(accept: str, given: str) -> None:
    assert choose_format(given, accept) == given


@pytest.mark.parametrize("accept", ["image/png", "text/html", "application/xml", "*/*;q=0",
                                    "text/csv;q=0, application/json;q=0"])
def test_no_acceptable_format_is_refused_saying_how_to_choose_one(accept: str) -> None:
    with pytest.raises(NotAcceptable, match="format=json"):
        choose_format(None, accept)


@pytest.mark.parametrize("spelling", [["paid", "cancelled"], ["paid,cancelled"],
                                      ["cancelled, paid"], ["paid", "cancelled,paid"]])
def test_several_statuses_may_be_repeated_or_comma_separated(spelling: list[str]) -> None:
    assert parse_statuses(spelling) == {OrderStatus.PAID, OrderStatus.CANCELLED}


def test_no_status_filter_is_every_status() -> None:
    assert parse_statuses(None) == parse_statuses([]) == parse_statuses([" , "]) == set()


@pytest.mark.parametrize("raw", ["refunded", "paid,refunded", "PAID"])
def test_a_status_that_names_no_status_is_refused_listing_the_known_ones(raw: str) -> None:
    with pytest.raises(UnknownStatusFilter, match="pending_payment, paid, shipped, cancelled"):
        parse_statuses([raw])
