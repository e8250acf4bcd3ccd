"""The stored form of events: plain JSON in, the same event out, old payloads upcast."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from order_service.domain.events import ALL_EVENT_TYPES, DomainEvent, OrderPaid
from order_service.eventstore import codec
from order_service.eventstore.codec import UnknownEventType, decode, decode_json, encode
from tests.unit.examples import LATER, one_of_each_event_type

EXAMPLES = one_of_each_event_type()


@pytest.mark.parametrize("event_type", ALL_EVENT_TYPES, ids=lambda cls: cls.TYPE)
def test_every_event_type_survives_a_trip_through_stored_json(
    event_type: type[DomainEvent],
) -> None:
    event = EXAMPLES[event_type]

    stored = json.loads(json.dumps(encode(event)))

    assert decode(event_type.TYPE, event_type.SCHEMA_VERSION, stored) == event


@pytest.mark.parametrize("event_type", ALL_EVENT_TYPES, ids=lambda cls: cls.TYPE)
def test_every_event_type_is_stored_as_plain_json(event_type: type[DomainEvent]) -> None:
    event = EXAMPLES[event_type]

    payload = encode(event)

    assert set(payload) == {field.name for field in dataclasses.fields(event)}
    for field in dataclasses.fields(event):
        _assert_plain(getattr(event, field.name), payload[field.name], field.name)


def _assert_plain(value: Any, stored: Any, where: str) -> None:
    """Timestamps as ISO 8601 text, ids as text, money and counts as JSON integers."""
    if isinstance(value, datetime):
        assert isinstance(stored, str), where
        assert datetime.fromisoformat(stored) == value, where
    elif isinstance(value, UUID):
        assert stored == str(value), where
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        assert stored == value, where
    elif isinstance(value, int):
        assert type(stored) is int, where
        assert stored == value, where
    elif isinstance(value, tuple):
        assert isinstance(stored, list), where
        for index, (item, stored_item) in enumerate(zip(value, stored, strict=True)):
            _assert_plain(item, stored_item, f"{where}[{index}]")
    elif dataclasses.is_dataclass(value):
        assert isinstance(stored, dict), where
        for field in dataclasses.fields(value):
            _assert_plain(getattr(value, field.name), stored[field.name],
                          f"{where}.{field.name}")
    else:
        pytest.fail(f"{where}: no rule for {type(value).__name__}")
    json.dumps(stored)


def test_a_payload_of_an_older_schema_is_upcast_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Pretend OrderPaid is at schema 2, whose v1 payload called the reference "psp_ref".
    monkeypatch.setattr(OrderPaid, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(
        codec.UPCASTERS, ("OrderPaid", 1),
        lambda data: {**{k: v for k, v in data.items() if k != "psp_ref"},
                      "payment_reference": data["psp_ref"]},
    )
    order_id = uuid4()
    version_1 = {"order_id": str(order_id), "psp_ref": "psp-9", "paid_at": LATER.isoformat()}

    event = decode("OrderPaid", 1, version_1)

    assert event == OrderPaid(order_id=order_id, payment_reference="psp-9", paid_at=LATER)


def test_upcasters_run_one_schema_step_after_another(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(OrderPaid, "SCHEMA_VERSION", 3)
    monkeypatch.setitem(codec.UPCASTERS, ("OrderPaid", 1),
                        lambda data: {**data, "payment_reference": "from-v1"})
    monkeypatch.setitem(codec.UPCASTERS, ("OrderPaid", 2),
                        lambda data: {**data, "payment_reference": data["payment_reference"]
                                      + "-then-v2"})
    payload = {"order_id": str(uuid4()), "paid_at": LATER.isoformat()}

    event = decode("OrderPaid", 1, payload)

    assert isinstance(event, OrderPaid)
    assert event.payment_reference == "from-v1-then-v2"


def test_a_payload_at_the_current_schema_is_not_upcast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(OrderPaid, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(codec.UPCASTERS, ("OrderPaid", 1),
                        lambda data: {**data, "payment_reference": "upcast"})
    event = OrderPaid(order_id=uuid4(), payment_reference="current", paid_at=LATER)

    assert decode("OrderPaid", 2, encode(event)) == event


def test_a_stored_type_this_code_does_not_know_is_refused() -> None:
    with pytest.raises(UnknownEventType, match="OrderTeleported"):
        decode("OrderTeleported", 1, {"order_id": str(uuid4())})


def test_decoding_from_json_text_upcasts_an_older_schema_and_reads_the_current_one_as_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(OrderPaid, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(codec.UPCASTERS, ("OrderPaid", 1),
                        lambda data: {**data, "payment_reference": "upcast"})
    current = OrderPaid(order_id=uuid4(), payment_reference="current", paid_at=LATER)
    text = json.dumps(encode(current))

    assert decode_json("OrderPaid", 2, text) == current
    assert decode_json("OrderPaid", 1, text.encode()) == dataclasses.replace(
        current, payment_reference="upcast")
    with pytest.raises(UnknownEventType, match="OrderTeleported"):
        decode_json("OrderTeleported", 1, "{}")
