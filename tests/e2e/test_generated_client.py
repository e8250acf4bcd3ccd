"""A storefront's typed client, generated from the served /openapi.json, works as generated.

openapi-python-client (a dev dependency: nothing is installed here) writes a client
package from the document a real server serves; the test imports it and runs a shop's
day through it alone: no request is sent any other way once the client exists.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.e2e.builders import order_body, product_body, shipping_method_body, unique_sku
from tests.servers import Server, StartServer

GENERATOR = Path(sys.executable).with_name("openapi-python-client")


class Generated:
    """A generated client package, imported: its operations and models by name."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.models = importlib.import_module(f"{package}.models")

    def operation(self, name: str) -> ModuleType:
        """The module of one operation, e.g. `orders.place_order`."""
        return importlib.import_module(f"{self.package}.api.{name}")

    def client(self, server: Server) -> Any:
        """The generated AuthenticatedClient on `server`, with the server's merchant key."""
        package = importlib.import_module(self.package)
        assert server.api_key is not None
        return package.AuthenticatedClient(base_url=server.base_url, token=server.api_key,
                                           raise_on_unexpected_status=True)


@pytest.fixture
def generated(start_server: StartServer, tmp_path: Path) -> Iterator[tuple[Generated, Any]]:
    """A server, and a client package generated from the document it serves."""
    server = start_server()
    spec = tmp_path / "openapi.json"
    spec.write_bytes(server.client.get("/openapi.json").content)
    package = f"shop_client_{uuid.uuid4().hex[:8]}"
    config = tmp_path / "generator.yaml"
    # No post hooks: the generator would run ruff over its output, which only restyles it.
    config.write_text(f"package_name_override: {package}\npost_hooks: []\n")
    subprocess.run([GENERATOR, "generate", "--path", spec, "--output-path",
                    tmp_path / "client", "--config", config],
                   check=True, capture_output=True, timeout=60)
    sys.path.insert(0, str(tmp_path / "client"))
    try:
        shop = Generated(package)
        with shop.client(server) as client:
            yield shop, client
    finally:
        sys.path.remove(str(tmp_path / "client"))
        for name in [name for name in sys.modules if name.startswith(package)]:
            del sys.modules[name]


def test_a_shop_runs_a_day_through_the_client_generated_from_its_document(
    generated: tuple[Generated, Any],
) -> None:
    shop, client = generated
    models = shop.models

    product = shop.operation("catalogue.add_product").sync_detailed(
        client=client, body=models.ProductIn.from_dict(product_body(sku=unique_sku(), stock=5)))
    assert product.status_code == 201
    assert product.headers["Location"] == f"/v1/products/{product.parsed.sku}"
    method = shop.operation("catalogue.add_shipping_method").sync_detailed(
        client=client, body=models.ShippingMethodIn.from_dict(shipping_method_body()))
    assert method.status_code == 201
    found = shop.operation("catalogue.get_shipping_method").sync(
        method.parsed.code, client=client)
    assert found.to_dict() == method.parsed.to_dict()

    place = shop.operation("orders.place_order")
    body = order_body([{"sku": product.parsed.sku, "quantity": 2}], method.parsed.code)
    placed = place.sync_detailed(client=client, body=models.PlaceOrderIn.from_dict(body),
                                 idempotency_key=str(uuid.uuid4()))
    assert placed.status_code == 201
    other = place.sync(client=client, body=models.PlaceOrderIn.from_dict(body))

    read = shop.operation("orders.get_order").sync_detailed(placed.parsed.id, client=client)
    assert read.parsed.to_dict() == placed.parsed.to_dict()
    etag = read.headers["ETag"]
    paid = shop.operation("orders.pay_order").sync(placed.parsed.id, client=client,
                                                    if_match=etag)
    assert paid.status.value == "paid"
    shipped = shop.operation("orders.ship_order").sync(
        placed.parsed.id, client=client, body=models.ShipIn(tracking_number="1Z999AA10"))
    assert (shipped.status.value, shipped.tracking_number) == ("shipped", "1Z999AA10")
    cancelled = shop.operation("orders.cancel_order").sync(other.id, client=client)
    assert cancelled.status.value == "cancelled"

    page = shop.operation("orders.list_orders").sync(client=client, limit=10)
    assert [order.id for order in page.items] == [other.id, placed.parsed.id]
    assert page.items[1].to_dict() == shipped.to_dict()

    _check_export_pages(shop, client, [placed.parsed.number, other.number])

    report = shop.operation("reports.sales_report").sync(client=client)
    figures = report.by_status.to_dict()
    assert (figures["shipped"]["orders"], figures["cancelled"]["orders"]) == (1, 1)
    assert report.collected.total == shipped.total

    feed = shop.operation("events.follow_events").sync(client=client, after=0, limit=100)
    assert [event.type_ for event in feed.items][-5:] == [
        "OrderPlaced", "OrderPlaced", "OrderPaid", "OrderShipped", "OrderCancelled"]


def _check_export_pages(shop: Generated, client: Any, numbers: list[int]) -> None:
    """One export page in each format reads through the client, with every order."""
    export = shop.operation("export.export_orders")
    formats = shop.models.ExportOrdersFormat

    as_json = json.loads(export.sync(client=client, format_=formats.JSON, limit=10))
    assert [order["number"] for order in as_json["items"]] == numbers

    lines = export.sync(client=client, format_=formats.NDJSON, limit=10).splitlines()
    # A page may end with a trailer line saying it is complete; orders have a number.
    records = [json.loads(line) for line in lines]
    assert [record["number"] for record in records if "number" in record] == numbers

    rows = csv.DictReader(io.StringIO(export.sync(client=client, format_=formats.CSV,
                                                  limit=10)))
    assert sorted({int(row["number"]) for row in rows if (row["number"] or "").isdigit()}
                  ) == numbers
