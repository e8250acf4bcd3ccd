"""Structured logs: one JSON line per request, the request id everywhere, no secrets."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from order_service.api.app import create_app
from order_service.observability.logs import ACCESS_LOGGER, JsonFormatter
from order_service.settings import Settings
from tests.api_keys import bearer
from tests.e2e.builders import create_product, create_shipping_method, line, order_body
from tests.servers import StartServer

ERRORS_LOGGER = "order_service.errors"
ACCESS_FIELDS = {"time", "level", "logger", "message", "method", "route", "path", "status",
                 "duration_ms", "request_id", "client"}


@contextmanager
def json_lines(*loggers: str) -> Iterator[list[dict[str, Any]]]:
    """The lines these loggers write meanwhile, formatted as the server formats them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    targets = [logging.getLogger(name) for name in loggers]
    levels = [target.level for target in targets]
    for target in targets:
        target.addHandler(handler)
        target.setLevel(logging.INFO)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        for target, level in zip(targets, levels, strict=True):
            target.removeHandler(handler)
            target.setLevel(level)
        lines.extend(json.loads(text) for text in stream.getvalue().splitlines())


def test_each_request_gets_one_access_line_with_its_route_template_status_and_duration(
    client: TestClient,
) -> None:
    order_id = uuid.uuid4()
    with json_lines(ACCESS_LOGGER) as lines:
        client.get(f"/v1/orders/{order_id}", headers={"X-Request-ID": "req-404-check"})

    [entry] = lines
    assert set(entry) == ACCESS_FIELDS
    assert entry["level"] == "info"
    assert entry["logger"] == ACCESS_LOGGER
    assert entry["method"] == "GET"
    assert entry["route"] == "/v1/orders/{order_id}"
    assert entry["path"] == f"/v1/orders/{order_id}"
    assert entry["status"] == 404
    assert entry["request_id"] == "req-404-check"
    assert isinstance(entry["duration_ms"], float)
    assert entry["duration_ms"] >= 0
    assert entry["time"].endswith("Z")


def test_one_request_id_is_in_the_response_the_access_line_and_the_stored_events(
    client: TestClient,
) -> None:
    sku = create_product(client)["sku"]
    body = order_body([line(sku)], create_shipping_method(client)["code"])
    request_id = f"checkout-{uuid.uuid4().hex}"

    with json_lines(ACCESS_LOGGER) as lines:
        placed = client.post("/v1/orders", json=body, headers={"X-Request-ID": request_id})

    assert placed.status_code == 201, placed.text
    assert placed.headers["X-Request-ID"] == request_id
    assert [entry["request_id"] for entry in lines] == [request_id]
    events = client.get("/v1/events", params={"after": 0, "limit": 1000}).json()["items"]
    [stored] = [e for e in events if e["stream_id"].endswith(placed.json()["id"])]
    assert stored["type"] == "OrderPlaced"
    assert stored["metadata"]["correlation_id"] == request_id


def test_a_request_without_a_usable_id_gets_a_fresh_one_in_its_answer_and_its_line(
    client: TestClient,
) -> None:
    with json_lines(ACCESS_LOGGER) as lines:
        answer = client.get("/health/live", headers={"X-Request-ID": "no spaces allowed"})

    fresh = answer.headers["X-Request-ID"]
    assert fresh != "no spaces allowed"
    assert uuid.UUID(fresh)
    assert [entry["request_id"] for entry in lines] == [fresh]


def test_an_unexpected_error_is_counted_logged_with_the_request_id_and_answered_with_it(
    settings: Settings, merchant_key: str
) -> None:
    app = create_app(settings)

    def explode() -> None:
        raise RuntimeError("SELECT secret FROM api_keys WHERE key_hash = 'os_live_abc123'")

    app.add_api_route("/v1/explode", explode)
    with TestClient(app, raise_server_exceptions=False, headers=bearer(merchant_key)) as client, \
            json_lines(ERRORS_LOGGER, ACCESS_LOGGER) as lines:
        answer = client.get("/v1/explode", headers={"X-Request-ID": "boom-1"})

    assert answer.status_code == 500
    assert answer.headers["X-Request-ID"] == "boom-1"
    error, access = lines
    assert error["level"] == "error"
    assert error["request_id"] == "boom-1"
    assert "RuntimeError" in error["message"]
    assert (access["route"], access["status"], access["request_id"]) == (
        "/v1/explode", 500, "boom-1")
    assert "SELECT" not in json.dumps(lines)


@pytest.mark.parametrize("backend", ["sqlite"])  # the log does not depend on the database
def test_a_real_server_writes_json_lines_only_and_one_access_line_per_request(
    start_server: StartServer,
) -> None:
    server = start_server()
    for number in range(3):
        server.client.get("/health/live", headers={"X-Request-ID": f"live-{number}"})
    server.client.get("/v1/products", headers={"Authorization": "Bearer os_live_notakey123"})

    server.stop()
    lines = [json.loads(text) for text in server.output().splitlines() if text.strip()]

    access = [entry for entry in lines if entry["logger"] == ACCESS_LOGGER]
    assert [entry["request_id"] for entry in access if entry["route"] == "/health/live"
            ][-3:] == ["live-0", "live-1", "live-2"]
    assert any(entry["status"] == 401 for entry in access)
    assert not [entry for entry in lines if entry["logger"] == "uvicorn.access"]
    assert any("Application startup complete." in entry["message"] for entry in lines)
    assert "os_live_notakey123" not in server.output()


@pytest.mark.parametrize("backend", ["sqlite"])  # the log does not depend on the database
def test_a_real_server_writing_text_escapes_control_characters_so_no_line_can_be_forged(
    start_server: StartServer,
) -> None:
    server = start_server(settings={"log_format": "text"})
    # A line break and a fake ERROR line, a terminal colour, a carriage return, NUL, NEL.
    path = ("/v1/orders/x%0AERROR:%20%20%20%20order_service.errors:%20forged"
            "%1B[31m%0Dred%00%C2%85end")

    response = server.client.get(path)
    server.stop()

    assert response.status_code == 404
    output = server.output()
    assert "\x1b" not in output
    assert "\r" not in output
    assert not [text for text in output.splitlines() if text.startswith("ERROR:")]
    [access] = [text for text in output.splitlines() if "forged" in text]
    assert ("/v1/orders/x\\nERROR:    order_service.errors: forged\\x1b[31m\\rred\\x00"
            "\\x85end") in access
    assert access.startswith("INFO:")
