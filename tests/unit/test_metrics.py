"""The recording calls the sweeper, the relay and the API make, read back as a scrape."""

from __future__ import annotations

import pytest

from order_service.observability.metrics import Metrics
from tests.scrapes import value


def test_each_sweep_counts_one_run_and_the_orders_it_expired() -> None:
    metrics = Metrics()

    metrics.record_sweep(expired=3)
    metrics.record_sweep(expired=0)

    text = metrics.exposition().decode()
    assert value(text, "order_service_expiry_sweeps_total") == 2
    assert value(text, "order_service_orders_expired_total") == 3


def test_the_relay_lag_is_the_latest_reading() -> None:
    metrics = Metrics()

    metrics.set_relay_lag(events=120)
    metrics.set_relay_lag(events=7)

    assert value(metrics.exposition().decode(), "order_service_relay_lag_events") == 7


def test_a_request_is_counted_under_its_method_route_and_status_and_timed() -> None:
    metrics = Metrics()

    metrics.observe_request("POST", "/v1/orders", 201, 0.03)
    metrics.observe_request("POST", "/v1/orders", 201, 0.3)
    metrics.observe_request("PROPFIND", "/v1/orders", 405, 0.001)

    text = metrics.exposition().decode()
    placed = {"method": "POST", "route": "/v1/orders", "status": "201"}
    assert value(text, "order_service_http_requests_total", **placed) == 2
    assert value(text, "order_service_http_request_duration_seconds_bucket",
                 le="0.05", **placed) == 1
    assert value(text, "order_service_http_request_duration_seconds_bucket",
                 le="0.5", **placed) == 2
    assert value(text, "order_service_http_request_duration_seconds_sum",
                 **placed) == pytest.approx(0.33)
    assert value(text, "order_service_http_requests_total",
                 method="other", route="/v1/orders", status="405") == 1


def test_two_metrics_in_one_process_keep_their_own_counts() -> None:
    first, second = Metrics(), Metrics()

    first.record_sweep(expired=5)

    assert value(second.exposition().decode(), "order_service_orders_expired_total") == 0
