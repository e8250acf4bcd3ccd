"""The merchant back office (/admin): server-rendered pages over the same use cases as the API.

Pages call the application layer the JSON routes call (the Shop, the queries, the API
keys); nothing here speaks SQL or calls the API over HTTP. None of it is in the OpenAPI
document: it is for people with a browser, signed in with a merchant key.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Response

from order_service.api.admin import (
    after_sale,
    catalogue,
    orders,
    receipts,
    resends,
    sales,
    sign_in,
)
from order_service.api.admin.errors import AdminRoute
from order_service.api.admin.pages import STATIC, BackOffice
from order_service.api.admin.sessions import SignedInDep
from order_service.api.docs import DocsAssets
from order_service.api.errors import PageNotFound
from order_service.api.rate_limit import KeyRateLimiter
from order_service.settings import Settings

fallback = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)


@fallback.api_route("/{rest:path}", methods=["GET", "POST"])
def no_such_page(_session: SignedInDep) -> Response:
    """Any other address under /admin: a page that says so (after signing in)."""
    raise PageNotFound


def install_admin(app: FastAPI, settings: Settings) -> None:
    """Serve the back office's pages and their stylesheet from `app`."""
    app.state.admin_sign_in_limiter = KeyRateLimiter(sign_in.SIGN_INS_PER_MINUTE)
    app.state.back_office = BackOffice.of(settings)
    # Before the routes: the fallback would otherwise answer for the stylesheet too.
    # Revalidated rather than fetched again on every page: Leaflet alone is 150 kB.
    app.mount("/admin/static", DocsAssets(directory=STATIC), name="admin-static")
    # receipts and after_sale before orders: their /{order_id}/receipt, .../refund and
    # .../note would otherwise be read as status changes.
    for router in (sign_in.router, receipts.router, after_sale.router, resends.router,
                   orders.router, catalogue.router, sales.router, fallback):
        app.include_router(router)
