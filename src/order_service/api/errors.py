"""The HTTP layer's exceptions: requests refused before they reach the application.

problems.py maps each to its problem+json answer, admin/errors.py to the back office's
pages.
"""

from __future__ import annotations

from order_service.domain.values import OrderStatus


class Unauthenticated(Exception):
    """No usable API key came with the request."""

    def __init__(self, *, key_given: bool) -> None:
        super().__init__(
            "the API key is unknown or revoked" if key_given else
            "this route needs an API key: send Authorization: Bearer <key>"
        )
        self.key_given = key_given


class BadSignature(Exception):
    """A notification whose signature does not prove it came from the gateway."""


class GatewayNotConfigured(Exception):
    """No shared secret is set, so no notification can be trusted."""

    def __init__(self) -> None:
        super().__init__("payment notifications are not set up on this service: set "
                         "ORDER_SERVICE_PAYMENT_GATEWAY_SECRET to the gateway's signing secret")


class NotAcceptable(Exception):
    """The client accepts none of the export formats."""

    def __init__(self, accept: str) -> None:
        super().__init__(
            f"cannot answer in any of {accept!r}; accept application/json, "
            "application/x-ndjson or text/csv, or pass format=json|ndjson|csv"
        )


class UnknownStatusFilter(ValueError):
    """A status filter names no status."""

    def __init__(self, names: list[str]) -> None:
        known = ", ".join(s.value for s in OrderStatus)
        super().__init__(f"status must be among {known}; got {', '.join(names)}")


class ReversedPeriod(ValueError):
    """A period that ends before it starts."""

    def __init__(self, start_name: str, end_name: str) -> None:
        super().__init__(f"{start_name} must be before {end_name}")
        self.start_name = start_name
        self.end_name = end_name


class BadCursor(Exception):
    """A cursor this service did not hand out."""

    def __init__(self) -> None:
        super().__init__("the cursor is not one this service handed out; start from the first page")


class BadIdempotencyKey(Exception):
    """An Idempotency-Key header that cannot be used."""

    def __init__(self, header: str, max_length: int) -> None:
        super().__init__(
            f"the {header} header must be 1 to {max_length} visible ASCII characters, "
            "e.g. a UUID"
        )


class NulInPath(Exception):
    """A path with a NUL character: nothing lives at such an address."""

    def __init__(self) -> None:
        super().__init__("nothing lives at an address with a NUL character (%00) in its path")


class RateLimited(Exception):
    """A key made more requests than its limit allows."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"too many requests with this API key; retry in {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


class NotSignedIn(Exception):
    """The request carries no live session (none, expired, signed out or key revoked)."""


class CsrfRefused(Exception):
    """A POST without this session's CSRF token, or sent from another site."""

    def __init__(self, why: str) -> None:
        super().__init__(f"This form was refused: {why}. Reload the page and try again.")


class BadInput(Exception):
    """A page was asked for with a parameter it cannot use."""


class PageNotFound(Exception):
    """No back-office page lives at this path."""

    def __init__(self) -> None:
        super().__init__("There is no back-office page at this address.")


class IfMatchRequired(Exception):
    """A change that must name the version of the order it was decided on."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} needs an If-Match header with the order's ETag from GET (e.g. "
            'If-Match: "3"), so that it cannot overwrite a change you have not seen'
        )
