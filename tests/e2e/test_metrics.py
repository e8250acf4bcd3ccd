"""`GET /metrics`: Prometheus text with request and business counts, summed over workers.

Most tests use the in-process app, whose metrics are its own (a fresh app counts from
zero), so each asserts exact counts. The last ones look at what `serve` adds: worker
processes that keep their counts in files of a directory of their own, summed by a scrape.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from order_service.cli.serve import (
    METRICS_DIRECTORY_PREFIX,
    MULTIPROC_DIR_VARIABLE,
    worker_metrics_directory,
)
from order_service.settings import Settings
from tests.api_keys import app_client, bearer
from tests.e2e.builders import (
    create_product,
    create_shipping_method,
    line,
    order_body,
    place_order,
)
from tests.e2e.expectations import assert_problem
from tests.scrapes import CONTENT_TYPE, family_names, value
from tests.servers import STARTUP_COMPLETE, StartServer

ORDER_ROUTE = "/v1/orders/{order_id}"
METRIC_FAMILIES = {
    "order_service_http_requests", "order_service_http_request_duration_seconds",
    "order_service_orders_placed", "order_service_orders_paid",
    "order_service_orders_shipped", "order_service_orders_cancelled",
    "order_service_out_of_stock_refusals", "order_service_idempotent_replays",
    "order_service_expiry_sweeps", "order_service_orders_expired",
    "order_service_relay_lag_events", "order_service_relay_rewinds",
}


def scrape(client: httpx.Client) -> str:
    """The metrics as Prometheus would fetch them (no credentials)."""
    response = client.get("/metrics", headers={"Authorization": ""})
    assert response.status_code == 200, response.text
    return response.text


def _shop(client: httpx.Client, stock: int = 10) -> tuple[str, str]:
    sku = create_product(client, stock=stock)["sku"]
    return sku, create_shipping_method(client)["code"]


def test_the_metrics_are_prometheus_text_and_need_no_api_key(client: TestClient) -> None:
    response = client.get("/metrics", headers={"Authorization": ""})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(CONTENT_TYPE)
    assert family_names(response.text) >= METRIC_FAMILIES


# That a method no HTTP client sends is counted as "other" is tests/unit/test_metrics.py's.
def test_requests_are_counted_and_timed_by_route_template_never_by_raw_path(
    client: TestClient,
) -> None:
    missing = [f"/v1/orders/{uuid.uuid4()}" for _ in range(3)]
    for path in missing:
        assert_problem(client.get(path), 404)
    assert_problem(client.get("/no/such/page"), 404)

    text = scrape(client)

    labels = {"method": "GET", "route": ORDER_ROUTE, "status": "404"}
    assert value(text, "order_service_http_requests_total", **labels) == 3
    assert value(text, "order_service_http_request_duration_seconds_count", **labels) == 3
    assert value(text, "order_service_http_request_duration_seconds_bucket",
                 le="+Inf", **labels) == 3
    assert value(text, "order_service_http_requests_total",
                 method="GET", route="unmatched", status="404") == 1
    assert not any(path in text for path in [*missing, "/no/such/page"])


# What the shop counts (once per change, never a no-op; refusals; replays) is
# tests/unit/test_metrics.py's; here, that the app's shop reports to its metrics.
def test_the_apps_orders_and_replays_are_counted(client: TestClient) -> None:
    sku, shipping = _shop(client)
    keyed = {"Idempotency-Key": str(uuid.uuid4())}
    body = order_body([line(sku)], shipping)
    order_id = client.post("/v1/orders", json=body, headers=keyed).json()["id"]
    assert client.post("/v1/orders", json=body, headers=keyed).status_code == 201
    assert client.post(f"/v1/orders/{order_id}/pay").status_code == 200

    text = scrape(client)

    assert value(text, "order_service_orders_placed_total") == 1
    assert value(text, "order_service_orders_paid_total") == 1
    assert value(text, "order_service_idempotent_replays_total") == 1


def test_two_apps_in_one_process_count_only_their_own_requests(
    settings: Settings, merchant_key: str
) -> None:
    with app_client(settings, merchant_key) as busy, app_client(settings, merchant_key) as idle:
        for _ in range(5):
            busy.get("/health/live")

        busy_text, idle_text = scrape(busy), scrape(idle)

    labels = {"method": "GET", "route": "/health/live", "status": "200"}
    assert value(busy_text, "order_service_http_requests_total", **labels) == 5
    assert value(idle_text, "order_service_http_requests_total", **labels) == 0


def test_with_a_metrics_token_set_a_scrape_must_send_it(
    settings: Settings, merchant_key: str
) -> None:
    token = "scrape-" + uuid.uuid4().hex
    guarded = Settings.model_validate(settings.model_dump() | {"metrics_token": token})
    with app_client(guarded, merchant_key) as client:
        without = client.get("/metrics", headers={"Authorization": ""})
        with_api_key = client.get("/metrics")
        wrong = client.get("/metrics", headers=bearer(token + "x"))
        right = client.get("/metrics", headers=bearer(token))

    for refused in (without, with_api_key, wrong):
        assert_problem(refused, 401)
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert right.status_code == 200
    assert "order_service_orders_placed_total" in right.text


def test_worker_processes_add_up_their_sweeps_and_report_the_latest_relay_lag(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    record = ("import sys; from order_service.observability.metrics import Metrics; m = Metrics(); "
              "m.record_sweep(expired=int(sys.argv[1])); m.set_relay_lag(events=int(sys.argv[2]))")
    for expired, lag in ((2, 50), (3, 9)):  # two workers, one after the other
        subprocess.run([sys.executable, "-c", record, str(expired), str(lag)], env=env,
                       check=True)

    text = subprocess.run(
        [sys.executable, "-c",
         "import sys; from order_service.observability.metrics import Metrics; "
         "sys.stdout.write(Metrics().exposition().decode())"],
        env=env, check=True, capture_output=True, text=True).stdout

    assert value(text, "order_service_expiry_sweeps_total") == 2
    assert value(text, "order_service_orders_expired_total") == 5
    assert value(text, "order_service_relay_lag_events") == 9


def test_serve_gives_workers_a_fresh_metrics_directory_and_clears_those_of_dead_servers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv(MULTIPROC_DIR_VARIABLE, raising=False)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    killed_server = tmp_path / f"{METRICS_DIRECTORY_PREFIX}{ended.pid}-abcd1234"
    running_server = tmp_path / f"{METRICS_DIRECTORY_PREFIX}{os.getpid()}-efgh5678"
    for directory in (killed_server, running_server):
        directory.mkdir()
        (directory / "counter_1.db").write_bytes(b"old counts")

    with worker_metrics_directory() as directory:
        assert os.environ[MULTIPROC_DIR_VARIABLE] == str(directory)
        assert directory.parent == tmp_path
        assert list(directory.iterdir()) == []
        assert not killed_server.exists()
        assert running_server.exists()

    assert not directory.exists()
    assert MULTIPROC_DIR_VARIABLE not in os.environ


@pytest.mark.parametrize("backend", ["sqlite"])  # workers add up the same on any database
def test_any_worker_reports_every_workers_counts_even_after_all_were_replaced(
    start_server: StartServer,
) -> None:
    server = start_server(workers=2)
    sku, shipping = _shop(server.client)
    with server.new_client(headers={"Connection": "close"}) as spread:
        for _ in range(6):
            place_order(spread, [line(sku)], shipping)

    # Kill each worker that served those orders; its replacement starts from nothing.
    originals = server.worker_pids()
    for victim in originals:
        startups = server.output().count(STARTUP_COMPLETE)
        os.kill(victim, signal.SIGKILL)
        _wait_for(lambda: server.output().count(STARTUP_COMPLETE) > startups  # noqa: B023
                  and len(server.worker_pids()) == 2)
    assert not set(originals) & set(server.worker_pids())

    with server.new_client(headers={"Connection": "close"}) as fresh:
        scrapes = [scrape(fresh) for _ in range(4)]
    for text in scrapes:
        assert value(text, "order_service_orders_placed_total") == 6
        assert value(text, "order_service_http_requests_total",
                     method="POST", route="/v1/orders", status="201") == 6


def _wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)
