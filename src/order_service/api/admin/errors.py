"""Back-office errors as HTML pages: never JSON, never a stack trace.

The API's handlers answer problem+json for the whole app; the back office's routes use
AdminRoute instead, which turns what its pages can raise into a page a merchant reads
(or, for a missing session, a redirect to the sign-in page).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError

from order_service.api.admin.formatting import words
from order_service.api.admin.pages import render
from order_service.api.errors import (
    BadCursor,
    BadInput,
    CsrfRefused,
    NotSignedIn,
    NulInPath,
    PageNotFound,
    RateLimited,
    ReversedPeriod,
)
from order_service.api.problems import DOMAIN_PROBLEMS, RETRY_AFTER_SECONDS, field_message
from order_service.application.errors import ConcurrencyConflict, Forbidden, StorageUnavailable
from order_service.domain.errors import NotFound, OrderServiceError

SIGN_IN = "/admin/sign-in"


def sign_in_url(request: Request) -> str:
    """The sign-in page, coming back to this page (if it was a GET) once signed in."""
    if request.method != "GET":
        return SIGN_IN
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{SIGN_IN}?{urlencode({'next': here})}"


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def reason_of(error: Exception) -> str:
    """An error's message as a sentence, as a page shows it."""
    return _sentence(str(error))


def _invalid(error: Exception) -> str:
    general = "The form or address was incomplete or not valid"
    if not isinstance(error, RequestValidationError):
        return general + "."
    named = "; ".join(f"{problem['loc'][-1]} {field_message(problem)}"
                      for problem in error.errors() if problem.get("loc"))
    return _sentence(f"{general}: {named}" if named else general)


def form_problem(error: ValueError, labels: Mapping[str, str] | None = None) -> str:
    """What is wrong with a form's value, as a sentence that names the field as the form
    labels it ("Postal code should have at most 20 characters.")."""
    if not isinstance(error, ValidationError):
        return reason_of(error)
    problem = error.errors()[0]
    names = [part for part in problem.get("loc", ()) if isinstance(part, str)]
    if not names:
        return _sentence(field_message(dict(problem)))
    label = (labels or {}).get(names[-1], words(names[-1]))
    return _sentence(f"{label} {field_message(dict(problem))}")


def refusal_status(error: OrderServiceError) -> int:
    """The HTTP status of a page that shows a domain refusal: the API's for the same error."""
    return next((kind.status for kinds, kind in DOMAIN_PROBLEMS if isinstance(error, kinds)),
                409)


# What each error a page can raise looks like: status, title and the message shown.
PAGES: tuple[tuple[tuple[type[Exception], ...], int, str, Callable[[Exception], str]], ...] = (
    ((CsrfRefused, Forbidden), 403, "Refused", str),
    ((NotFound, PageNotFound, NulInPath), 404, "Not found", reason_of),
    ((RequestValidationError,), 400, "Bad request", _invalid),
    ((BadInput, BadCursor, ReversedPeriod), 400, "Bad request", reason_of),
    ((RateLimited,), 429, "Too many attempts", reason_of),
    ((StorageUnavailable, ConcurrencyConflict), 503, "Try again in a moment",
     lambda _: "The database did not answer in time; reload the page shortly."),
    ((OrderServiceError,), 409, "Refused", reason_of),
)
HANDLED: tuple[type[Exception], ...] = (
    NotSignedIn, *(kind for kinds, *_ in PAGES for kind in kinds))


def error_page(request: Request, error: Exception) -> Response:
    """The page (or, without a session, the redirect to sign in) that answers `error`."""
    if isinstance(error, NotSignedIn):
        return RedirectResponse(sign_in_url(request), status_code=303)
    for kinds, status, title, message in PAGES:
        if isinstance(error, kinds):
            response = render(request, "error.html", None, status_code=status, code=status,
                              title=title, message=message(error))
            if status in (429, 503):
                wait = getattr(error, "retry_after_seconds", RETRY_AFTER_SECONDS)
                response.headers["Retry-After"] = str(wait)
            return response
    raise error


class AdminRoute(APIRoute):
    """A route whose errors are answered as back-office pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, wrapped so that its known errors become pages."""
        handle = super().get_route_handler()

        async def answered_as_pages(request: Request) -> Response:
            try:
                return await handle(request)
            except HANDLED as error:
                return error_page(request, error)

        return answered_as_pages
