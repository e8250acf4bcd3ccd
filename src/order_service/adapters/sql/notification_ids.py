"""The payment gateway's notification ids, each held by the first order it was taken for.

Taken in the command's own transaction, so an id and the events it caused commit together:
a notification that fails (unknown order, conflict) leaves its id free.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from order_service.adapters.sql.tables import payment_notification_ids as ids

Clock = Callable[[], datetime]

# ON CONFLICT DO NOTHING waits for a transaction holding the same id to end, then inserts
# nothing if it committed; a plain INSERT would abort ours on PostgreSQL.
_TAKE = {
    dialect.dialect.name: (
        dialect.insert(ids)
        .values(notification_id=bindparam("taken"), order_id=bindparam("for_order"),
                taken_at=bindparam("at"))
        .on_conflict_do_nothing(index_elements=["notification_id"])
    )
    for dialect in (postgresql, sqlite)
}
_HOLDER = select(ids.c.order_id).where(ids.c.notification_id == bindparam("taken"))


class SqlNotificationIds:
    """The NotificationIds port over one open transaction."""

    def __init__(self, connection: Connection, clock: Clock) -> None:
        self._connection = connection
        self._clock = clock

    def take(self, notification_id: str, order_id: UUID) -> UUID:
        """Take `notification_id` for `order_id` unless an order took it before; its holder."""
        self._connection.execute(_TAKE[self._connection.dialect.name], {
            "taken": notification_id, "for_order": order_id, "at": self._clock()})
        # A new statement: under READ COMMITTED it sees the row of a transaction that
        # committed while ours waited on the insert.
        holder: UUID = self._connection.execute(
            _HOLDER, {"taken": notification_id}).scalar_one()
        return holder
