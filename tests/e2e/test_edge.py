"""The hardened edge: CORS, security headers, rate limits, and what never reaches a log."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from order_service.api.app import create_app
from order_service.settings import Settings
from tests.api_keys import app_client, bearer
from tests.e2e.builders import create_product
from tests.e2e.expectations import assert_problem
from tests.servers import StartServer

STOREFRONT = "https://shop.example.com"


@pytest.fixture
def shop(settings: Settings, merchant_key: str) -> Iterator[TestClient]:
    """The app allowing one storefront origin, as the merchant."""
    configured = Settings.model_validate(settings.model_dump() | {"cors_origins": STOREFRONT})
    with app_client(configured, merchant_key) as client:
        yield client


def _preflight(client: TestClient, origin: str) -> object:
    return client.options("/v1/orders", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"})


def test_the_configured_storefront_origin_may_call_the_api_from_a_browser(
    shop: TestClient,
) -> None:
    preflight = _preflight(shop, STOREFRONT)
    answer = shop.get("/v1/products", headers={"Origin": STOREFRONT})

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == STOREFRONT
    assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
    assert answer.headers["access-control-allow-origin"] == STOREFRONT
    assert "ETag" in answer.headers["access-control-expose-headers"]


def test_any_other_origin_is_refused_with_a_problem(shop: TestClient) -> None:
    preflight = _preflight(shop, "https://evil.example.com")
    answer = shop.get("/v1/products", headers={"Origin": "https://evil.example.com"})

    problem = assert_problem(preflight, 400)
    assert "ORDER_SERVICE_CORS_ORIGINS" in problem["detail"]
    assert "access-control-allow-origin" not in answer.headers


def test_no_origin_may_call_from_a_browser_by_default(client: TestClient) -> None:
    answer = client.get("/v1/products", headers={"Origin": STOREFRONT})

    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/v1/products", 200),
    ("GET", "/v1/products/NOPE-1", 404),
    ("POST", "/v1/products", 422),
    ("GET", "/v1/nowhere", 404),
    ("GET", "/health/live", 200),
])
def test_every_answer_carries_the_security_headers(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path, json={} if method == "POST" else None)

    assert response.status_code == status
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["cache-control"] == "no-store"


def test_unauthenticated_answers_carry_the_security_headers_too(client: TestClient) -> None:
    response = client.get("/v1/products", headers={"Authorization": ""})

    assert response.status_code == 401
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_docs_may_run_their_scripts_but_not_be_framed(client: TestClient) -> None:
    response = client.get("/docs")

    policy = response.headers["content-security-policy"]
    assert "script-src" in policy
    assert "frame-ancestors 'none'" in policy


# How the bucket fills, and that each key has its own, is tests/unit/test_rate_limit.py's.
def test_a_key_over_its_rate_limit_gets_429_with_retry_after(
    settings: Settings, merchant_key: str
) -> None:
    limited = Settings.model_validate(settings.model_dump() | {"rate_limit_per_minute": 3})
    with app_client(limited, merchant_key) as client:
        statuses = [client.get("/v1/products").status_code for _ in range(4)]

        refused = client.get("/v1/products")

    assert statuses == [200, 200, 200, 429]
    problem = assert_problem(refused, 429)
    assert int(refused.headers["retry-after"]) >= 1
    assert "retry" in problem["detail"].lower()


def test_without_a_limit_configured_nothing_is_rate_limited(client: TestClient) -> None:
    assert {client.get("/v1/products").status_code for _ in range(30)} == {200}


def test_an_unexpected_error_is_a_plain_500_and_its_log_line_holds_no_trace_or_sql(
    settings: Settings, merchant_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings)

    def explode() -> None:
        raise RuntimeError("SELECT secret FROM api_keys WHERE key_hash = 'os_live_abc123'")

    app.add_api_route("/v1/explode", explode)
    with TestClient(app, raise_server_exceptions=False, headers=bearer(merchant_key)) as client:
        caplog.set_level(logging.DEBUG)
        response = client.get("/v1/explode")

    problem = assert_problem(response, 500)
    assert "SELECT" not in response.text
    assert "Traceback" not in response.text
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "RuntimeError" in logged
    assert "SELECT" not in logged
    assert "os_live_" not in logged
    assert all(record.exc_info is None for record in caplog.records)
    assert problem["detail"].startswith("The service failed")


def test_a_real_servers_log_never_holds_the_key_it_was_called_with(
    start_server: StartServer,
) -> None:
    server = start_server()
    create_product(server.client)
    server.client.get("/v1/products", headers={"Authorization": "Bearer os_live_notakey123"})
    server.client.get("/v1/products?token=os_live_inthequery456")

    server.stop()
    output = server.output()

    assert server.api_key not in output
    assert "os_live_notakey123" not in output
    assert "os_live_inthequery456" not in output
    assert "Traceback" not in output


def test_what_the_app_built_at_start_is_left_out_of_full_collections(
    settings: Settings, merchant_key: str
) -> None:
    # A full collection walking every route, validator and pooled connection stopped the
    # event loop for ~100 ms a few times a minute under load (bench: GET p99).
    with app_client(settings, merchant_key) as client:
        assert client.get("/v1/orders").status_code == 200
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0
