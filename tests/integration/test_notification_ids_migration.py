"""Migration 0013 holds every notification id already stored for the order it came first for."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import Engine, insert, select

from order_service.adapters.sql.schema import alembic_config
from order_service.adapters.sql.tables import payment_notification_ids
from order_service.eventstore.tables import events

AT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _notified(order_id: uuid.UUID, notification_id: str, minutes: int) -> dict[str, object]:
    return {"stream_id": f"order-{order_id}", "version": 2, "type": "PaymentNotified",
            "schema_version": 1, "metadata": {}, "recorded_at": AT + timedelta(minutes=minutes),
            "data": {"order_id": str(order_id), "notification_id": notification_id,
                     "succeeded": True, "amount": 100, "currency": "EUR",
                     "payment_reference": None, "applied": True, "reason": None,
                     "received_at": (AT + timedelta(minutes=minutes)).isoformat()}}


def test_upgrading_takes_each_stored_id_for_the_order_it_was_first_sent_for(
    engine: Engine, database_url_for_test: str
) -> None:
    config = alembic_config(database_url_for_test)
    command.downgrade(config, "0013-1")
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with engine.begin() as connection:
        for row in (_notified(first, "evt_1", 0), _notified(second, "evt_1", 1),
                    _notified(third, "evt_2", 2)):
            connection.execute(insert(events).values(**row))

    command.upgrade(config, "head")

    with engine.connect() as connection:
        held = connection.execute(select(
            payment_notification_ids.c.notification_id, payment_notification_ids.c.order_id,
            payment_notification_ids.c.taken_at,
        ).order_by(payment_notification_ids.c.notification_id)).all()
    assert [tuple(row) for row in held] == [("evt_1", first, AT),
                                            ("evt_2", third, AT + timedelta(minutes=2))]
