"""Reading the export's query: the format (from `format=` or Accept) and status filters."""

from __future__ import annotations

from order_service.domain.values import OrderStatus

# Media types a client may ask for, by export format (see order_service.export.FORMATS).
ACCEPTED = {
    "application/json": "json",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "text/csv": "csv",
}


class NotAcceptable(Exception):
    """The client accepts none of the export formats."""

    def __init__(self, accept: str) -> None:
        super().__init__(
            f"cannot answer in any of {accept!r}; accept application/json, "
            "application/x-ndjson or text/csv, or pass format=json|ndjson|csv"
        )


def choose_format(explicit: str | None, accept: str | None) -> str:
    """`explicit` if given, else the client's most preferred format it accepts."""
    if explicit is not None:
        return explicit
    if not accept:
        return "json"
    ranked = sorted(_media_ranges(accept), key=lambda item: -item[1])
    for media_type, quality in ranked:
        if quality <= 0:
            continue
        if media_type in ("*/*", "application/*"):
            return "json"
        if media_type == "text/*":
            return "csv"
        if media_type in ACCEPTED:
            return ACCEPTED[media_type]
    raise NotAcceptable(accept)


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


class UnknownStatusFilter(ValueError):
    """A status filter names no status."""

    def __init__(self, names: list[str]) -> None:
        known = ", ".join(s.value for s in OrderStatus)
        super().__init__(f"status must be among {known}; got {', '.join(names)}")
