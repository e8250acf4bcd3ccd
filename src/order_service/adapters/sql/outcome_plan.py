"""A hot command's outcome as the rows it writes: shared by every SQL driver.

The blocking storage (psycopg or SQLite, through SQLAlchemy) and the event-loop one
(asyncpg) write the same rows from the same plan. On PostgreSQL both hand it to the
same server-side function (migrations 0015 and 0016) as one item of a batch: the
event-loop one with whatever else arrived meanwhile (batched_writes.py), the blocking
one alone. One function, so one order in which rows are locked, and no deadlock between
the two.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from order_service.application.errors import ConcurrencyConflict, IdempotencyKeyReused
from order_service.application.ports import (
    NUMBER_AT_COMMIT,
    CommandContext,
    IdempotentRequest,
    Outcome,
)
from order_service.application.views import OrderView
from order_service.domain.events import OrderCancelled, OrderPaid, OrderPlaced, OrderShipped
from order_service.eventstore.codec import encode
from order_service.projections.catalogue_projector import stock_changes
from order_service.projections.order_projector import order_changes, placed_order
from order_service.projections.orders import changed_row, order_row


@dataclass
class Plan:
    """An outcome as the rows it writes, in the order they are written."""

    view: OrderView | None
    remembered: tuple[str, str, str] | None  # key, fingerprint, recording
    stock: list[dict[str, Any]] = field(default_factory=list)
    placed_order: dict[str, Any] | None = None
    order_changes: dict[str, Any] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def numbered(self) -> bool:
        """Whether the write hands out a receipt number (it places an order)."""
        return self.placed_order is not None

    def written(self, number: int | None) -> OrderView:
        """The order's view once written, with the receipt number the write took."""
        assert self.view is not None  # plan() refuses an outcome without one
        return self.view if number is None else replace(self.view, number=number)


def plan(outcome: Outcome, context: CommandContext, current: OrderView | None,
         recorded_at: datetime) -> Plan:
    """The rows `outcome` writes, and the answer its idempotency key keeps."""
    metadata: dict[str, Any] = {"correlation_id": context.correlation_id,
                                "caused_by": context.caused_by}
    if context.api_key_id is not None:
        metadata["api_key_id"] = context.api_key_id
    made = Plan(view=current, remembered=None)
    placed: OrderView | None = None
    changed: dict[str, Any] = {}
    for version, event in enumerate(outcome.events, start=outcome.expected_version + 1):
        data = encode(event)
        made.events.append({"stream_id": outcome.stream_id, "version": version,
                            "type": event.TYPE, "schema_version": event.SCHEMA_VERSION,
                            "data": data, "metadata": metadata, "recorded_at": recorded_at})
        if isinstance(event, OrderPlaced):
            placed = placed_order(event, version, metadata.get("api_key_id"))
            made.placed_order = order_row(placed)
        elif isinstance(event, OrderPaid | OrderShipped | OrderCancelled):
            changed.update(order_changes(event, version))
        else:
            raise ValueError(f"{event.TYPE} is not a two-step command's event")
        made.stock += [{"sku": change.sku, "change": change.change, "at": change.at}
                       for change in stock_changes(event)]
    made.stock.sort(key=lambda change: change["sku"])
    if placed is not None:
        made.view = placed
    elif changed and current is not None:
        made.view = replace(current, **changed)
        made.order_changes = changed_row(made.view, changed)
    if made.view is None:
        raise ValueError("an outcome that neither places nor changes an order")
    remembered = context.idempotency
    if remembered is not None:
        made.remembered = (remembered.key, remembered.fingerprint,
                           remembered.record_result(made.view))
    return made


# Each takes a JSON array of items (placement_item / change_item) and the append lock's
# key, and returns per item, in turn: the receipt number taken, or whether it was written.
PLACE_ORDERS = "SELECT nth, receipt FROM place_orders(%s::text::jsonb, %s::bigint)"
CHANGE_ORDERS = "SELECT nth, written FROM change_orders(%s::text::jsonb, %s::bigint)"


def function_call(made: Plan, key_at: datetime) -> tuple[str, str]:
    """The function that writes `made` (PLACE_ORDERS or CHANGE_ORDERS), and its item."""
    if made.numbered:
        return PLACE_ORDERS, placement_item(made, key_at)
    return CHANGE_ORDERS, change_item(made, key_at)


def placement_item(made: Plan, key_at: datetime) -> str:
    """A placement as place_orders() reads it."""
    (event,) = made.events
    key = None
    if made.remembered is not None:
        name, fingerprint, recording = made.remembered
        head, tail = around_number(recording)
        key = {"key": name, "fingerprint": fingerprint, "at": key_at, "head": head,
               "tail": tail}
    return _encoded({**_stock(made, key_at), "skus": [c["sku"] for c in made.stock],
                     "order": made.placed_order, "key": key, "event": event})


def change_item(made: Plan, key_at: datetime) -> str:
    """A change (or a keyed no-op, which keeps only its answer) as change_orders() reads
    it."""
    key = None
    if made.remembered is not None:
        name, fingerprint, answer = made.remembered
        key = {"key": name, "fingerprint": fingerprint, "at": key_at, "answer": answer}
    if not made.events:
        return _encoded({"stock": [], "key": key, "event": None})
    (event,) = made.events
    assert made.view is not None
    assert made.order_changes is not None
    return _encoded({**_stock(made, key_at), "order_id": made.view.id,
                     "from_version": made.order_changes["version"] - 1,
                     "changes": made.order_changes, "key": key, "event": event})


def written(made: Plan, answer: Any) -> int | None:
    """What the function answered for `made`: the receipt number taken, if it placed an
    order. Raises ConcurrencyConflict if it could not be written as decided (stock ran
    short, a product went, the order moved on, or its key was taken meanwhile)."""
    if not answer:
        raise conflict(made)
    return int(answer) if made.numbered else None


def key_answer(request: IdempotentRequest, fingerprint: str, recording: str | None) -> str:
    """The answer a live idempotency key keeps for the request now repeated.

    Raises IdempotencyKeyReused if the key was used for another request, and
    ConcurrencyConflict while its first request is still being carried out.
    """
    if fingerprint != request.fingerprint:
        raise IdempotencyKeyReused(request.key)
    if recording is None:
        raise ConcurrencyConflict(f"idempotency-key {request.key}", 0)
    return recording


def around_number(recording: str) -> tuple[str, str]:
    """The text (a recorded answer, or an order's document) before and after the
    placeholder number.

    Both name the order's id and number before anything the customer wrote, so the
    placeholder's first appearance is the number's.
    """
    head, found, tail = recording.partition(str(NUMBER_AT_COMMIT))
    if not found:
        raise ValueError("a placement's recorded answer does not show its number")
    return head, tail


def numbered(recording: str, number: int) -> str:
    """The text with the receipt number in place of the placeholder."""
    head, tail = around_number(recording)
    return f"{head}{number}{tail}"


def conflict(made: Plan | None) -> ConcurrencyConflict:
    """The conflict that sends the command back to decide again."""
    first = made.events[0] if made is not None and made.events else None
    if first is None:
        return ConcurrencyConflict("(idempotency key)", 0)
    return ConcurrencyConflict(first["stream_id"], first["version"] - 1)


def _stock(made: Plan, key_at: datetime) -> dict[str, Any]:
    return {"stock": [{"sku": c["sku"], "change": c["change"]} for c in made.stock],
            "stock_at": made.stock[0]["at"] if made.stock else key_at}


def _encoded(item: dict[str, Any]) -> str:
    return json.dumps(item, default=_json_value, separators=(",", ":"))


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a command's value")
