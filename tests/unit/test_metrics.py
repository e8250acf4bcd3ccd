"""The recording calls the sweeper, the relay, the API and the shop make, read back as a scrape."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.mmap_dict import MmapedDict, mmap_key

from order_service.application.commands import CancelOrder, PayOrder, PlaceOrder, ShipOrder
from order_service.application.errors import AlreadyHandled
from order_service.application.handlers import Shop
from order_service.domain.errors import OutOfStock
from order_service.domain.events import ProductAdded, ShippingMethodAdded
from order_service.domain.values import RequestedLine
from order_service.observability.metrics import Metrics, WorkerFiles
from tests.scrapes import value
from tests.unit.examples import ADDRESS, CUSTOMER, PLACED_AT
from tests.unit.shop_given import CONTEXT, given, keyed


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


SANDAL = ProductAdded(sku="SANDAL-42", name="Sandal 42", unit_price=1_250, currency="EUR",
                      stock=3, added_at=PLACED_AT)
POSTNL = ShippingMethodAdded(code="postnl", name="PostNL", price=495, currency="EUR",
                             added_at=PLACED_AT)


def _shop_counted_by(metrics: Metrics) -> Shop:
    """A shop with a sandal (stock 3) and a shipping method, counted by `metrics`."""
    shop, _ = given(SANDAL, POSTNL)
    return replace(shop, observer=metrics)


def _placing(quantity: int) -> PlaceOrder:
    return PlaceOrder(customer=CUSTOMER, lines=(RequestedLine("SANDAL-42", quantity),),
                      shipping_address=ADDRESS, billing_address=ADDRESS,
                      payment_method="card", shipping_method="postnl")


def test_orders_are_counted_once_per_change_never_for_a_replay_or_a_no_op() -> None:
    metrics = Metrics()
    shop = _shop_counted_by(metrics)
    first = shop.place_order(_placing(1), keyed("k-1"))
    with pytest.raises(AlreadyHandled):
        shop.place_order(_placing(1), keyed("k-1"))
    other = shop.place_order(_placing(1), CONTEXT)
    for change in (shop.pay_order, shop.pay_order):  # the second changes nothing
        change(PayOrder(first.id), CONTEXT)
    for ship in (shop.ship_order, shop.ship_order):
        ship(ShipOrder(first.id), CONTEXT)
    shop.cancel_order(CancelOrder(other.id), CONTEXT)

    text = metrics.exposition().decode()
    assert [value(text, f"order_service_orders_{name}_total")
            for name in ("placed", "paid", "shipped", "cancelled")] == [2, 1, 1, 1]
    assert value(text, "order_service_idempotent_replays_total") == 1


def test_an_out_of_stock_refusal_is_counted_and_its_replay_counts_as_a_replay() -> None:
    metrics = Metrics()
    shop = _shop_counted_by(metrics)
    for _ in range(2):
        with pytest.raises((OutOfStock, AlreadyHandled)):
            shop.place_order(_placing(4), keyed("k-1"))

    text = metrics.exposition().decode()
    assert value(text, "order_service_out_of_stock_refusals_total") == 1
    assert value(text, "order_service_idempotent_replays_total") == 1
    assert value(text, "order_service_orders_placed_total") == 0


def test_a_scrape_passes_over_a_worker_file_not_sized_yet(tmp_path: Path) -> None:
    # A worker's file as it is created, before it is sized (or as a worker killed in that
    # moment leaves it), beside a worker file that holds a count.
    (tmp_path / "counter_1001.db").write_bytes(b"")
    counts = MmapedDict(str(tmp_path / "counter_1002.db"))
    counts.write_value(mmap_key("order_service_orders_placed_total",
                                "order_service_orders_placed_total", [], [], ""), 6.0, 0.0)
    counts.close()
    registry = CollectorRegistry()
    WorkerFiles(registry, path=str(tmp_path))

    text = generate_latest(registry).decode()

    assert value(text, "order_service_orders_placed_total") == 6
