"""Rendering the back office's pages: Jinja2 templates, filters and page headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from order_service.api.admin import addresses, amounts, formatting
from order_service.api.admin.order_map import MapTiles
from order_service.api.admin.sessions import SignedIn, sessions_of
from order_service.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

# The pages load only their own stylesheet and icon; no script runs, nothing is framed,
# and forms post only back to this site.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(frozen=True, slots=True)
class BackOffice:
    """What the shop's settings make of every page: its time zone and its map."""

    zone: ZoneInfo
    map_tiles: MapTiles | None

    @classmethod
    def of(cls, settings: Settings) -> BackOffice:
        """The back office `settings` describe."""
        return cls(settings.zone(), MapTiles.of(settings))

    @property
    def content_security_policy(self) -> str:
        """The pages' CSP: with a map, also this service's scripts (Leaflet and the
        page's own) and the tile server's images; nothing else, and never the geocoder."""
        if self.map_tiles is None:
            return CONTENT_SECURITY_POLICY
        return ("default-src 'none'; script-src 'self'; style-src 'self'; "
                f"img-src 'self' data: {self.map_tiles.source}; form-action 'self'; "
                "frame-ancestors 'none'; base-uri 'none'")


def back_office(request: Request) -> BackOffice:
    """The app's back-office settings."""
    found: BackOffice = request.app.state.back_office
    return found


@pass_context
def _moment(context: Context, value: datetime | None) -> str:
    # Every page is rendered with the shop's zone (see render), so a time is never
    # shown in another one by mistake.
    zone: ZoneInfo = context["time_zone"]
    return formatting.moment(value, zone)


templates = Jinja2Templates(directory=TEMPLATES)
templates.env.filters.update(
    money=formatting.money,
    moment=_moment,
    status_label=formatting.status_label,
    words=formatting.words,
    reason=formatting.reason,
    percent=formatting.percent,
    address_lines=addresses.address_lines,
    country_name=addresses.country_name,
    map_link=formatting.map_link,
    major_units=amounts.major_units,
    in_code=amounts.in_code,
)


def render(request: Request, template: str, session: SignedIn | None, *,
           status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page of the back office; the session's waiting message is shown, then forgotten."""
    if session is not None and session.flash is not None:
        sessions_of(request).leave_flash(session.token, None)
    shop = back_office(request)
    response = templates.TemplateResponse(
        request, template, {"session": session, "flash": session and session.flash,
                            "currency": _currency(request), "time_zone": shop.zone,
                            **context},
        status_code=status_code)
    response.headers["Content-Security-Policy"] = shop.content_security_policy
    # The API's no-referrer would make browsers send "Origin: null" with these forms,
    # and the Origin is how a POST proves it came from this site.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _currency(request: Request) -> str:
    currency: str = request.app.state.shop.terms.currency
    return currency
