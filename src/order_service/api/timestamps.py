"""Timestamps in query parameters: ISO 8601, UTC when no zone is given."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema


def _iso_8601(value: object) -> datetime:
    # Only ISO 8601 text: pydantic would also take "0.5" as seconds since 1970, which no
    # merchant means when filtering orders.
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                "must be an ISO 8601 time, e.g. 2026-11-01 or 2026-11-01T09:30:00+01:00"
            ) from None
    else:
        # A ValueError, not a TypeError: pydantic reports it as a 422 on the parameter.
        raise ValueError("must be an ISO 8601 time")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


Moment = Annotated[
    datetime,
    BeforeValidator(_iso_8601),
    WithJsonSchema({"type": "string", "format": "date-time",
                    "examples": ["2026-11-01T00:00:00Z"]}),
]
