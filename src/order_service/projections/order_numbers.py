"""Receipt numbers: sequential and gap-free, because each is a sales receipt."""

from __future__ import annotations

from sqlalchemy import Connection, update

from order_service.projections.tables import order_numbers

# Every placement sends it: built once.
_TAKE_NEXT = (
    update(order_numbers)
    .where(order_numbers.c.id == 1)
    .values(last_number=order_numbers.c.last_number + 1)
    .returning(order_numbers.c.last_number)
)


class SqlOrderNumbers:
    """The OrderNumbers port over a one-row counter.

    A database sequence would leave holes whenever a placement rolls back. This counter
    is incremented inside the placing transaction instead: a rollback gives the number
    back, and the row lock makes concurrent placements take numbers one after another.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def take_next(self) -> int:
        """The next receipt number, held until this transaction ends."""
        number = self._connection.execute(_TAKE_NEXT).scalar_one()
        return int(number)
