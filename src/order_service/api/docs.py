"""The API explorer (/docs, Swagger UI) and manual (/redoc, ReDoc), with no internet needed.

FastAPI's own pages load their scripts, styles and favicon from a CDN and ReDoc's fonts
from Google; these load everything from the service (`static/docs/`, vendored: see its
README.md), so they work on a shop's back-office machine without internet access.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

ASSETS_DIRECTORY = Path(__file__).parent / "static" / "docs"
ASSETS_URL = "/static/docs"
SWAGGER_UI_PARAMETERS = {
    # The validator badge would send the document's URL to validator.swagger.io.
    "validatorUrl": None,
    "displayRequestDuration": True,
    "filter": True,
    "tryItOutEnabled": False,
}


class DocsAssets(StaticFiles):
    """The vendored docs assets; revalidated (ETag) rather than fetched again each time."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result,
                      scope: Scope, status_code: int = 200) -> Response:
        """Starlette's file answer, marked cacheable until the file changes."""
        response = super().file_response(full_path, stat_result, scope, status_code)
        # Set here so the security headers' default (no-store) does not apply.
        response.headers["Cache-Control"] = "no-cache"
        return response


def install_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc (the app must be built with docs_url=redoc_url=None)."""
    app.mount(ASSETS_URL, DocsAssets(directory=ASSETS_DIRECTORY), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API explorer",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/swagger-ui/favicon-32x32.png",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API manual",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )


def _root_path(request: Request) -> str:
    # Behind a proxy that mounts the service under a prefix, links must carry it.
    return str(request.scope.get("root_path", "")).rstrip("/")
