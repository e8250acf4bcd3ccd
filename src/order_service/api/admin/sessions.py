"""Back-office sessions: a merchant key signs in once and the browser keeps a cookie.

The cookie holds a random token (the database keeps only its hash); it is HttpOnly,
SameSite=Strict, limited to /admin, and Secure when the page came over HTTPS. Every form
carries a CSRF token derived from the session token, checked on every POST together with
the Origin header, so another site can neither read nor forge a merchant's forms.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Form, Request, Response

from order_service.api.admin.flash import Flash
from order_service.api.deps import caused_by, request_id
from order_service.api.errors import CsrfRefused, NotSignedIn
from order_service.application.access import AdminSessions, Permission, Principal, require
from order_service.application.ports import CommandContext, IdempotentRequest

SESSION_COOKIE = "os_admin_session"
# The sign-in form has no session yet: it is protected by a double-submitted token.
SIGN_IN_COOKIE = "os_admin_sign_in"
COOKIE_PATH = "/admin"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The session a request came with: who signed in, and the message waiting for them."""

    token: str
    principal: Principal
    flash: Flash | None

    @property
    def csrf_token(self) -> str:
        """The token every form of this session carries."""
        return csrf_token_for(self.token)


def new_token() -> str:
    """A fresh random token (256 bits)."""
    return secrets.token_urlsafe(32)


def csrf_token_for(session_token: str) -> str:
    """The session's CSRF token: an HMAC of its secret token, so nothing more is stored."""
    digest = hmac.new(session_token.encode(), b"order-service admin csrf", hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def sessions_of(request: Request) -> AdminSessions:
    """The app's session store."""
    sessions: AdminSessions = request.app.state.admin_sessions
    return sessions


def over_https(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (directly or through a TLS proxy)."""
    # Trusting X-Forwarded-Proto here can only add Secure to a cookie, never remove it.
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def set_cookie(response: Response, request: Request, name: str, value: str,
               max_age: int | None = None) -> None:
    """Set one of the back office's cookies with its protective flags."""
    response.set_cookie(name, value, max_age=max_age, path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=over_https(request))


def clear_cookie(response: Response, request: Request, name: str) -> None:
    """Remove one of the back office's cookies from the browser."""
    response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="strict",
                           secure=over_https(request))


def current_session(request: Request) -> SignedIn | None:
    """The live session the request's cookie names, if any."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    found = sessions_of(request).find(token)
    if found is None:
        return None
    return SignedIn(token, found.principal, Flash.from_json(found.flash))


def signed_in(request: Request) -> SignedIn:
    """The request's session, or NotSignedIn (the page sends the browser to sign in)."""
    session = current_session(request)
    if session is None:
        raise NotSignedIn
    require(session.principal, Permission.READ_ALL_ORDERS)
    return session


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


def require_same_origin(request: Request) -> None:
    """Refuse a POST a page of another site made the browser send."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise CsrfRefused("it was sent from another site")
    origin = request.headers.get("origin")
    if origin is None:
        return  # older browsers and scripts send none; the CSRF token still decides
    # Behind a proxy that rewrites Host, X-Forwarded-Host names the site the browser saw;
    # a page of another site cannot add either header to a form it submits.
    hosts = {request.headers.get(name, "").split(",")[0].strip().lower()
             for name in ("host", "x-forwarded-host")} - {""}
    if origin == "null" or urlsplit(origin).netloc.lower() not in hosts:
        raise CsrfRefused("it was sent from another site")


def checked_form(request: Request, session: SignedInDep,
                 csrf_token: Annotated[str, Form()] = "") -> SignedIn:
    """The session of a POST whose form carries its CSRF token and comes from this site."""
    require_same_origin(request)
    if not hmac.compare_digest(csrf_token.encode(), session.csrf_token.encode()):
        raise CsrfRefused("it did not carry this session's security token")
    return session


CheckedFormDep = Annotated[SignedIn, Depends(checked_form)]


def command_context(request: Request, session: SignedIn,
                    idempotency: IdempotentRequest | None = None) -> CommandContext:
    """Why a command from a page runs, recorded as its events' metadata like the API's."""
    return CommandContext(
        correlation_id=request_id(request),
        caused_by=caused_by(request, session.principal),
        idempotency=idempotency,
        api_key_id=session.principal.key_id,
    )
