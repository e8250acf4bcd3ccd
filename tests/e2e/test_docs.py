"""The published API description: the OpenAPI document and the docs pages built on it.

/docs (Swagger UI) and /redoc (ReDoc) load every asset from the service itself, so they
work without internet: checked on the HTML, on the assets, and in a real Chromium
against a real `order-service serve`, recording every request the pages make.
Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import ConsoleMessage, Page

from order_service.api.app import create_app
from order_service.settings import Settings
from tests.browser import requests_made, save_screenshot
from tests.servers import Server

DOCS_PAGES = ["/docs", "/redoc"]
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


@pytest.fixture(scope="module")
def docs_client() -> Iterator[TestClient]:
    """The real app, without a database: the docs pages and their assets need none."""
    app = create_app(Settings(database_url="sqlite:///never-opened.db"))
    # Not entered as a context manager: its lifespan (the database) is not started.
    client = TestClient(app, base_url="http://shop.example")
    yield client
    client.close()


def test_the_interactive_docs_are_an_html_page(client: TestClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower()
    assert "/openapi.json" in response.text


def test_the_openapi_document_names_the_service(client: TestClient) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "order-service"


# What the document holds (every operation, the bearer scheme, examples valid against
# their schemas) is tests/unit/test_api_manual.py's, on the app's own document.


# -- offline: every asset from the service itself --------------------------------------


class _AssetLinks(HTMLParser):
    """The URLs an HTML page loads: scripts, stylesheets, icons, images, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src", "iframe": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def _asset_urls(html: str) -> list[str]:
    parser = _AssetLinks()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("page_path", DOCS_PAGES)
def test_the_docs_pages_load_their_assets_from_the_service_only(
    docs_client: TestClient, page_path: str
) -> None:
    html = docs_client.get(page_path).text
    assets = _asset_urls(html)

    assert len(assets) >= 2, html  # a script and a favicon at least
    for url in assets:
        assert not urlsplit(url).netloc, url
        assert url.startswith("/static/docs/"), url
    assert not re.search(r"https?://", html.replace("http://www.w3.org", "")), html


@pytest.mark.parametrize("page_path", DOCS_PAGES)
def test_every_asset_of_the_docs_pages_is_served_with_its_content_type(
    docs_client: TestClient, page_path: str
) -> None:
    for url in _asset_urls(docs_client.get(page_path).text):
        response = docs_client.get(url)

        assert response.status_code == 200, url
        expected = CONTENT_TYPES[Path(url).suffix]
        assert response.headers["content-type"].startswith(expected), (url, response.headers)
        assert len(response.content) > 100, url


def test_the_docs_pages_may_load_nothing_from_other_hosts(docs_client: TestClient) -> None:
    policy = docs_client.get("/docs").headers["content-security-policy"]

    assert "https:" not in policy, policy
    assert "http:" not in policy, policy
    assert "default-src 'self'" in policy


def test_the_docs_assets_are_revalidated_rather_than_fetched_again(
    docs_client: TestClient,
) -> None:
    url = "/static/docs/redoc/redoc.standalone.js"
    first = docs_client.get(url)

    again = docs_client.get(url, headers={"If-None-Match": first.headers["etag"]})

    assert first.headers["cache-control"] == "no-cache"
    assert again.status_code == 304


# -- in a real browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_backend() -> str:
    """The docs need no PostgreSQL: this module's server runs on SQLite."""
    return "sqlite"


@pytest.fixture(scope="module")
def docs_server(module_database_url: str, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[Server]:
    """One real `order-service serve` for the browser tests of this module."""
    server = Server(module_database_url, tmp_path_factory.mktemp("docs-server"))
    server.start()
    yield server
    server.close()


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """What the page logged as errors (a refused asset, a script error), as it comes."""
    errors: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", keep)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def _foreign_requests(page: Page, server: Server) -> list[str]:
    own = urlsplit(server.base_url).netloc
    return [url for url in requests_made(page)
            if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != own]


def test_the_explorer_lists_every_operation_without_asking_another_host(
    page: Page, docs_server: Server, console_errors: list[str]
) -> None:
    document = docs_server.client.get("/openapi.json").json()
    operations = sum(len(methods) for methods in document["paths"].values())

    page.goto(f"{docs_server.base_url}/docs")
    place_order = page.locator("#operations-orders-placeOrder")
    place_order.wait_for()

    assert page.locator(".opblock").count() == operations
    assert "POST/v1/ordersPlace an order" in place_order.inner_text().replace("\n", "")
    page.wait_for_load_state("networkidle")
    save_screenshot(page, "docs")
    assert _foreign_requests(page, docs_server) == []
    assert console_errors == []
    assert f"{docs_server.base_url}/openapi.json" in requests_made(page)


def test_the_explorer_shows_an_operation_with_its_examples(
    page: Page, docs_server: Server, console_errors: list[str]
) -> None:
    page.goto(f"{docs_server.base_url}/docs#/orders/placeOrder")
    operation = page.locator("#operations-orders-placeOrder")
    operation.locator(".opblock-body").wait_for()

    body = operation.inner_text()
    assert "Idempotency-Key" in body
    assert "SANDAL-42" in body  # the request example
    assert "urn:order-service:problem:out-of-stock" in body  # an error example
    save_screenshot(page, "docs-place-order")
    assert _foreign_requests(page, docs_server) == []
    assert console_errors == []


def test_the_manual_renders_every_operation_without_asking_another_host(
    page: Page, docs_server: Server, console_errors: list[str]
) -> None:
    page.goto(f"{docs_server.base_url}/redoc")
    page.get_by_role("heading", name="Place an order").first.wait_for()

    assert page.get_by_role("heading", name="Follow the event store").count() >= 1
    page.wait_for_load_state("networkidle")
    save_screenshot(page, "redoc", full_page=False)  # the whole manual is ~25,000 px
    assert _foreign_requests(page, docs_server) == []
    assert console_errors == []
