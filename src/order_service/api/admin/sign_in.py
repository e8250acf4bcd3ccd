"""Signing in to the back office with a merchant API key, and signing out."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from order_service.api.admin.errors import AdminRoute
from order_service.api.admin.pages import render
from order_service.api.admin.sessions import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    CheckedFormDep,
    clear_cookie,
    current_session,
    new_token,
    require_same_origin,
    sessions_of,
    set_cookie,
)
from order_service.api.errors import CsrfRefused
from order_service.api.rate_limit import KeyRateLimiter
from order_service.application.access import Permission, Principal

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)

HOME = "/admin/orders"
# Keys are 256 random bits, so guessing is hopeless anyway; this keeps a script that
# tries from filling the log and the database with attempts.
SIGN_INS_PER_MINUTE = 20
SIGN_IN_FORM_SECONDS = 3600


def _safe_next(next_page: str | None) -> str:
    # Only a page of the back office itself: never an open redirect to another site.
    if (next_page and next_page.startswith("/admin/") and not next_page.startswith("//")
            and "\\" not in next_page and not next_page.startswith("/admin/sign-")):
        return next_page
    return HOME


@router.get("")
def home() -> Response:
    """The back office opens on the orders list."""
    return RedirectResponse(HOME, status_code=303)


@router.get("/sign-in")
def sign_in_page(request: Request,
                 next_page: Annotated[str | None, Query(alias="next")] = None,
                 signed_out: bool = False) -> Response:
    """The sign-in form (or, for a signed-in browser, the page it asked for)."""
    if current_session(request) is not None:
        return RedirectResponse(_safe_next(next_page), status_code=303)
    return _form(request, next_page, notice="You are signed out." if signed_out else None)


@router.post("/sign-in")
def sign_in(request: Request, api_key: Annotated[str, Form()] = "",
            csrf_token: Annotated[str, Form()] = "",
            next_page: Annotated[str | None, Form(alias="next")] = None) -> Response:
    """Exchange a merchant API key for a session cookie."""
    require_same_origin(request)
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        raise CsrfRefused("the sign-in form had expired or was not this site's")
    limiter: KeyRateLimiter = request.app.state.admin_sign_in_limiter
    limiter.take(request.client.host if request.client else "unknown")
    principal: Principal | None = request.app.state.api_keys.authenticate(api_key.strip())
    if principal is None:
        return _form(request, next_page, status_code=401,
                     error="That API key is unknown or revoked. Paste a merchant key "
                     "(it starts with os_live_).")
    if not principal.may(Permission.MANAGE_ORDERS):
        return _form(request, next_page, status_code=403,
                     error=f"The {principal.role.value} key {principal.name!r} cannot sign "
                     "in: the back office needs a merchant key.")
    token = new_token()
    sessions_of(request).start(token, principal)
    request.app.state.api_keys.mark_used(principal.key_id)
    response = RedirectResponse(_safe_next(next_page), status_code=303)
    set_cookie(response, request, SESSION_COOKIE, token)
    clear_cookie(response, request, SIGN_IN_COOKIE)
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: CheckedFormDep) -> Response:
    """End the session: its cookie signs nobody in any more."""
    sessions_of(request).end(session.token)
    response = RedirectResponse("/admin/sign-in?signed_out=true", status_code=303)
    clear_cookie(response, request, SESSION_COOKIE)
    return response


def _form(request: Request, next_page: str | None, *, status_code: int = 200,
          error: str | None = None, notice: str | None = None) -> Response:
    token = new_token()
    response = render(request, "sign_in.html", None, status_code=status_code,
                      csrf_token=token, next_page=_safe_next(next_page), error=error,
                      notice=notice)
    set_cookie(response, request, SIGN_IN_COOKIE, token, max_age=SIGN_IN_FORM_SECONDS)
    return response
