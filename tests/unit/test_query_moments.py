"""Times in query parameters (api/timestamps.Moment): ISO 8601 only, taken as UTC when no
zone is given, and refused when UTC has no such day.

Which parameters are Moments, and that a refusal is a 422 naming the parameter, is
tests/e2e's (test_export.py, test_sales_report.py, test_hostile_input.py); which orders
an instant selects is tests/contract/test_order_filters.py's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from order_service.api.problems import field_message
from order_service.api.timestamps import Moment

MOMENT: TypeAdapter[datetime] = TypeAdapter(Moment)
INSTANT = datetime(2026, 3, 14, 9, 26, 53, 589_793, tzinfo=UTC)


def refusal(text: str) -> str:
    """What a query parameter holding `text` is told, in the API's words."""
    with pytest.raises(ValidationError) as refused:
        MOMENT.validate_python(text)
    (error,) = refused.value.errors()
    return field_message(dict(error))


@pytest.mark.parametrize("text", ["yesterday", "0.5", "1700000000", "2026-13-01", "2026-02-30"])
def test_a_time_that_is_not_iso_8601_is_refused(text: str) -> None:
    assert refusal(text).startswith("must be an ISO 8601 time")


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-14:00"])
def test_a_time_outside_the_calendar_once_in_utc_is_refused(text: str) -> None:
    assert refusal(text) == "must fall between the years 1 and 9999 once converted to UTC"


@pytest.mark.parametrize(("text", "in_utc"), [
    ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
    ("0999-06-01", datetime(999, 6, 1, tzinfo=UTC)),
    ("9999-12-31T23:59:59.999999Z", datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)),
    ("0500-01-01T00:00:00-14:00", datetime(500, 1, 1, 14, tzinfo=UTC)),
])
def test_a_time_near_the_ends_of_the_calendar_that_fits_in_utc_is_taken(
    text: str, in_utc: datetime
) -> None:
    assert MOMENT.validate_python(text) == in_utc


@pytest.mark.parametrize("spelling", [
    INSTANT.replace(tzinfo=None).isoformat(),
    INSTANT.astimezone(timezone(timedelta(hours=2))).isoformat(),
    INSTANT.astimezone(timezone(-timedelta(hours=5, minutes=30))).isoformat(),
    INSTANT.astimezone(timezone(timedelta(hours=-7))).isoformat(),
], ids=["no-zone", "plus-02:00", "minus-05:30", "minus-07:00"])
def test_a_time_without_a_zone_is_utc_and_an_offset_is_honoured(spelling: str) -> None:
    moment = MOMENT.validate_python(spelling)

    assert (moment, moment.utcoffset()) == (INSTANT, timedelta(0))
