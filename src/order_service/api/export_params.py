"""Reading the export's query: the format (from `format=` or Accept) and status filters."""

from __future__ import annotations

from datetime import datetime

from order_service.api.errors import NotAcceptable, ReversedPeriod, UnknownStatusFilter
from order_service.domain.values import OrderStatus

# Media types a client may ask for, by export format (see order_service.application.export.FORMATS).
ACCEPTED = {
    "application/json": "json",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "text/csv": "csv",
}


# When the client likes several formats equally, the first of these wins.
PREFERENCE = ("application/json", "application/x-ndjson", "text/csv")


def choose_format(explicit: str | None, accept: str | None) -> str:
    """`explicit` if given, else the format the client prefers (RFC 9110 §12.5.1).

    Each format gets the quality of the most specific media range that matches it, so
    `application/json;q=0, */*` refuses JSON even though `*/*` would take it.
    """
    if explicit is not None:
        return explicit
    if not accept:
        return "json"
    ranges = _media_ranges(accept)
    offers = [*PREFERENCE, *(m for m in ACCEPTED if m not in PREFERENCE)]
    best, best_quality = None, 0.0
    for media_type in offers:
        quality = _quality(media_type, ranges)
        if quality > best_quality:
            best, best_quality = media_type, quality
    if best is None:
        raise NotAcceptable(accept)
    return ACCEPTED[best]


def _quality(media_type: str, ranges: list[tuple[str, float]]) -> float:
    kind = media_type.split("/", maxsplit=1)[0]
    for candidate in (media_type, f"{kind}/*", "*/*"):  # most specific first
        for media_range, quality in ranges:
            if media_range == candidate:
                return quality
    return 0.0


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for item in accept.split(","):
        media_type, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media_type.lower(), quality))
    return ranges


def parse_statuses(raw: list[str] | None) -> frozenset[OrderStatus]:
    """Statuses from repeated and/or comma-separated `status` parameters."""
    names = [name.strip() for value in raw or [] for name in value.split(",") if name.strip()]
    try:
        return frozenset(OrderStatus(name) for name in names)
    except ValueError:
        raise UnknownStatusFilter(names) from None


def require_ordered_period(start: datetime | None, end: datetime | None,
                           start_name: str, end_name: str) -> None:
    """Refuse a period whose end is before its start (it could only ever be empty)."""
    if start is not None and end is not None and end < start:
        raise ReversedPeriod(start_name, end_name)
