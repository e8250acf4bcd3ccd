"""Rendering the back office's pages: Jinja2 templates, filters and page headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from order_service.api.admin import formatting
from order_service.api.admin.sessions import SignedIn, sessions_of

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

# The pages load only their own stylesheet and icon; no script runs, nothing is framed,
# and forms post only back to this site.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

templates = Jinja2Templates(directory=TEMPLATES)
templates.env.filters.update(
    money=formatting.money,
    moment=formatting.moment,
    status_label=formatting.status_label,
    words=formatting.words,
    reason=formatting.reason,
    percent=formatting.percent,
    address_lines=formatting.address_lines,
    map_link=formatting.map_link,
)


def render(request: Request, template: str, session: SignedIn | None, *,
           status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page of the back office; the session's waiting message is shown, then forgotten."""
    if session is not None and session.flash is not None:
        sessions_of(request).leave_flash(session.token, None)
    response = templates.TemplateResponse(
        request, template, {"session": session, "flash": session and session.flash,
                            "currency": _currency(request), **context},
        status_code=status_code)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    # The API's no-referrer would make browsers send "Origin: null" with these forms,
    # and the Origin is how a POST proves it came from this site.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _currency(request: Request) -> str:
    currency: str = request.app.state.shop.terms.currency
    return currency
