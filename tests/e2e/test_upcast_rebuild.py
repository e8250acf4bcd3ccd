"""A new schema version of an event, with its upcaster, changes no read model.

The test makes OrderPaid's current shape its version 2 and gives it an upcaster from a
version 1 that named the payment reference `reference`. Events stored in the old shape
(as the previous version of the service stored them) and events stored in the new one
are then rebuilt into the same rows, and GET, the list and the export agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from order_service.domain.events import OrderPaid, order_stream
from order_service.eventstore import codec
from order_service.eventstore.tables import events
from order_service.projections.rebuild import rebuild_projections
from tests.e2e.builders import create_product, create_shipping_method, get_json, line, place_order
from tests.e2e.exports import EXPORT

JsonObject = dict[str, Any]


def _paid_v1_to_v2(data: JsonObject) -> JsonObject:
    """Version 1 called the payment reference `reference`."""
    old = dict(data)
    return {"order_id": old["order_id"], "payment_reference": old.pop("reference"),
            "paid_at": old["paid_at"]}


@pytest.fixture
def paid_at_version_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """OrderPaid as if its payload had changed once: version 2, upcast from version 1."""
    monkeypatch.setattr(OrderPaid, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(codec.UPCASTERS, ("OrderPaid", 1), _paid_v1_to_v2)


def _store_paid_at_version_1(engine: Engine, order: JsonObject, reference: str,
                             paid_at: str) -> None:
    """An OrderPaid as the previous version stored it: its old payload, version 1."""
    with engine.begin() as connection:
        connection.execute(insert(events).values(
            stream_id=order_stream(order["id"]), version=2, type="OrderPaid",
            schema_version=1,
            data={"order_id": order["id"], "reference": reference, "paid_at": paid_at},
            metadata={"correlation_id": "before-the-upgrade", "caused_by": "order-service 1"},
            recorded_at=datetime.fromisoformat(paid_at)))


def test_orders_paid_in_either_version_rebuild_into_the_reads_the_api_gives(
    client: TestClient, engine: Engine, paid_at_version_2: None,
) -> None:
    sku = create_product(client, stock=10)["sku"]
    method = create_shipping_method(client)["code"]
    old, new, pending = (place_order(client, [line(sku)], method) for _ in range(3))
    paid = client.post(f"/v1/orders/{new['id']}/pay", json={"payment_reference": "v2-ref"})
    assert paid.status_code == 200, paid.text
    _store_paid_at_version_1(engine, old, "v1-ref", "2026-05-04T10:11:12.123456Z")
    before = {order["id"]: get_json(client, f"/v1/orders/{order['id']}")
              for order in (new, pending)}

    rebuild_projections(engine)

    got = {order["id"]: get_json(client, f"/v1/orders/{order['id']}")
           for order in (old, new, pending)}
    assert (got[old["id"]]["status"], got[old["id"]]["payment_reference"],
            got[old["id"]]["paid_at"], got[old["id"]]["version"]) == (
        "paid", "v1-ref", "2026-05-04T10:11:12.123456Z", 2)
    assert got[old["id"]]["updated_at"] == "2026-05-04T10:11:12.123456Z"
    assert {key: got[key] for key in before} == before
    assert get_json(client, "/v1/orders")["items"] == [got[o["id"]] for o in (pending, new, old)]
    assert get_json(client, EXPORT)["items"] == [got[o["id"]] for o in (old, new, pending)]


def test_an_order_paid_in_the_old_version_reads_as_one_paid_in_the_new(
    client: TestClient, engine: Engine, paid_at_version_2: None,
) -> None:
    sku = create_product(client, stock=10)["sku"]
    method = create_shipping_method(client)["code"]
    old, new = (place_order(client, [line(sku)], method) for _ in range(2))
    answer = client.post(f"/v1/orders/{new['id']}/pay", json={"payment_reference": "same"})
    assert answer.status_code == 200, answer.text
    _store_paid_at_version_1(engine, old, "same", answer.json()["paid_at"])

    rebuild_projections(engine)

    differing = {"id", "number", "placed_at"}
    shown_old, shown_new = (get_json(client, f"/v1/orders/{order['id']}")
                            for order in (old, new))
    assert shown_new == answer.json()
    assert ({k: v for k, v in shown_old.items() if k not in differing}
            == {k: v for k, v in shown_new.items() if k not in differing})
    history = get_json(client, f"/v1/orders/{old['id']}/events")
    assert history[-1]["data"]["payment_reference"] == "same"
