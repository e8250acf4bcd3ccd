"""Timestamps in query parameters: ISO 8601, UTC when no zone is given."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

ISO_8601_EXAMPLES = "e.g. 2026-11-01 or 2026-11-01T09:30:00+01:00"


def parse_moment(text: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime, or ValueError saying what is wrong."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"must be an ISO 8601 time, {ISO_8601_EXAMPLES}") from None
    return in_utc(moment)


def in_utc(moment: datetime) -> datetime:
    """`moment` in UTC (a naive one is taken as UTC), or ValueError if UTC has no such day.

    0001-01-01T00:00+14:00 is still 31 December of year 0 in UTC, and
    9999-12-31T23:00-14:00 already year 10000: Python's calendar (and so every later
    comparison) ends at both, so such a moment is refused here rather than overflow later.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("must fall between the years 1 and 9999 once converted to UTC"
                         ) from None


def _iso_8601(value: object) -> datetime:
    # Only ISO 8601 text: pydantic would also take "0.5" as seconds since 1970, which no
    # merchant means when filtering orders. ValueErrors (never TypeError or OverflowError)
    # are what pydantic reports as a 422 naming the parameter.
    if isinstance(value, datetime):
        return in_utc(value)
    if isinstance(value, str):
        return parse_moment(value)
    raise ValueError("must be an ISO 8601 time")


Moment = Annotated[
    datetime,
    BeforeValidator(_iso_8601),
    WithJsonSchema({"type": "string", "format": "date-time",
                    "examples": ["2026-11-01T00:00:00Z"]}),
]
