"""A hot command's outcome as the rows it writes: shared by every SQL driver.

The blocking storage (psycopg or SQLite, through SQLAlchemy) and the event-loop one
(asyncpg) write the same rows from the same plan: the blocking one on PostgreSQL as one
statement (pg_outcome), the event-loop one in batches (batched_writes.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from order_service.adapters.sql import pg_outcome
from order_service.application.errors import ConcurrencyConflict, IdempotencyKeyReused
from order_service.application.ports import (
    NUMBER_AT_COMMIT,
    CommandContext,
    IdempotentRequest,
    Outcome,
)
from order_service.application.views import OrderView
from order_service.domain.events import OrderPlaced
from order_service.domain.values import OrderStatus
from order_service.eventstore.codec import encode
from order_service.projections.orders import TRANSITIONS, placed_row, transition_values
from order_service.projections.products import OCCURRED_AT, stock_changes
from order_service.projections.read_models import order_view


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
    row: dict[str, Any] | None = None
    for version, event in enumerate(outcome.events, start=outcome.expected_version + 1):
        data = encode(event)
        made.events.append({"stream_id": outcome.stream_id, "version": version,
                            "type": event.TYPE, "schema_version": event.SCHEMA_VERSION,
                            "data": data, "metadata": metadata, "recorded_at": recorded_at})
        if isinstance(event, OrderPlaced):
            row = made.placed_order = placed_row(data, metadata)
        elif event.TYPE in TRANSITIONS:
            changes = transition_values(event.TYPE, data, version)
            made.order_changes = {**(made.order_changes or {}), **changes}
        else:
            raise ValueError(f"{event.TYPE} is not a two-step command's event")
        if event.TYPE in OCCURRED_AT:
            at = datetime.fromisoformat(data[OCCURRED_AT[event.TYPE]])
            made.stock += [{"sku": sku, "change": change, "at": at}
                           for sku, change in stock_changes(event.TYPE, data)]
    made.stock.sort(key=lambda change: change["sku"])
    if row is not None:
        made.view = order_view(row)
    elif made.order_changes is not None and current is not None:
        made.view = replace(current, **_view_changes(made.order_changes))
    if made.view is None:
        raise ValueError("an outcome that neither places nor changes an order")
    remembered = context.idempotency
    if remembered is not None:
        made.remembered = (remembered.key, remembered.fingerprint,
                           remembered.record_result(made.view))
    return made


def pg_statement(made: Plan, key_at: datetime) -> tuple[str, dict[str, Any]]:
    """The one PostgreSQL statement that writes the plan (pg_outcome), and its values.

    It returns one row: the receipt number taken (a placement), whether the order was
    changed (a change), or nothing (a no-op that keeps only its answer).
    """
    if not made.events:  # a repeat-safe no-op: only its answer is kept
        assert made.remembered is not None
        return pg_outcome.remember_only(made.remembered, key_at)
    (event,) = made.events
    if made.placed_order is not None:
        remembered = None
        if made.remembered is not None:
            key, fingerprint, recording = made.remembered
            remembered = (key, fingerprint, *around_number(recording))
        return pg_outcome.placement(stock=made.stock, order=made.placed_order, event=event,
                                    remembered=remembered, key_at=key_at)
    assert made.view is not None
    assert made.order_changes is not None
    return pg_outcome.change(order_id=made.view.id, changes=made.order_changes,
                             stock=made.stock, event=event, remembered=made.remembered,
                             key_at=key_at)


def pg_written(made: Plan, row: Any) -> int | None:
    """What the statement's row says: the receipt number taken, if it placed an order.

    Raises ConcurrencyConflict if it wrote nothing (a product vanished or the order
    moved on meanwhile).
    """
    if not made.events:
        return None
    if row is None or not row[0]:
        raise conflict(made)
    return int(row[0]) if made.numbered else None


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
    """The recording's text before and after the placeholder number.

    An answer names the order's id and number before anything the customer wrote, so
    the placeholder's first appearance is the number's.
    """
    head, found, tail = recording.partition(str(NUMBER_AT_COMMIT))
    if not found:
        raise ValueError("a placement's recorded answer does not show its number")
    return head, tail


def numbered(recording: str, number: int) -> str:
    """The recording with the receipt number in place of the placeholder."""
    head, tail = around_number(recording)
    return f"{head}{number}{tail}"


def conflict(made: Plan | None) -> ConcurrencyConflict:
    """The conflict that sends the command back to decide again."""
    first = made.events[0] if made is not None and made.events else None
    if first is None:
        return ConcurrencyConflict("(idempotency key)", 0)
    return ConcurrencyConflict(first["stream_id"], first["version"] - 1)


_VIEW_FIELDS = {"status", "paid_at", "shipped_at", "cancelled_at", "updated_at",
                "payment_reference", "tracking_number", "cancel_reason", "version"}


def _view_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    view = {name: value for name, value in changes.items() if name in _VIEW_FIELDS}
    if "status" in view:
        view["status"] = OrderStatus(view["status"])
    return view
