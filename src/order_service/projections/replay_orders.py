"""The orders read model folded in SQL: first each stream's later events, then the rows.

`fold_changes` writes one `rebuild_changes` row per order stream with later events:
what those events set (status, paid/shipped/cancelled columns, updated_at, version,
payment notifications). `fold_orders` then writes the `rebuild_orders` row of every
OrderPlaced event in scope, taking the changed columns from `rebuild_changes`.
"""

# ruff: noqa: S608 (statements built from fixed fragments only; values are bound)
from __future__ import annotations

from collections.abc import Iterable

from order_service.projections.replay import (
    DETAIL_OF,
    MOMENT_OF,
    NOTIFICATION_KEYS,
    STATUS_AFTER,
    Dialect,
)

CHANGED_COLUMNS = ("status", "paid_at", "payment_reference", "shipped_at", "tracking_number",
                   "cancelled_at", "cancel_reason", "updated_at", "version",
                   "payment_notifications")


def _case(kinds: dict[str, str], value: str) -> str:
    whens = " ".join(f"WHEN '{kind}' THEN {value.format(name)}" for kind, name in kinds.items())
    return f"CASE e.type {whens} END"


def _kinds(kinds: Iterable[str]) -> str:
    return ", ".join(f"'{kind}'" for kind in kinds)


def _latest(d: Dialect, value: str, kinds: Iterable[str] | None = None) -> str:
    """The value of the stream's latest event (of `kinds`), encoded as the key it won by.

    max() over 'version+value' strings (the version as ten digits) is an exact arg-max
    without sorting: versions are unique in a stream. '-' stands for a null value.
    """
    key = f"{d.padded('version')} || coalesce('+' || {value}, '-')"
    where = "" if kinds is None else f" FILTER (WHERE type IN ({_kinds(kinds)}))"
    return f"max({key}{d.binary}){where}"


def _value(encoded: str) -> str:
    return f"CASE WHEN substr({encoded}, 11, 1) = '+' THEN substr({encoded}, 12) END"


def _notifications(d: Dialect) -> str:
    """Every PaymentNotified entry of each stream, oldest first, as one JSON array."""
    where = "FROM changes WHERE type = 'PaymentNotified'"
    if d.name == "postgresql":
        return (f"SELECT stream_id, jsonb_agg(entry ORDER BY position) AS entries {where} "
                f"GROUP BY stream_id")
    # SQLite 3.40 has no ORDER BY inside an aggregate; its window form has one. json()
    # marks the stored entry as JSON again, or the array would hold it as a string.
    return (f"SELECT DISTINCT stream_id, json_group_array(json(entry)) OVER (PARTITION BY "
            f"stream_id ORDER BY position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED "
            f"FOLLOWING) AS entries {where}")


def fold_changes(d: Dialect, scope: str) -> str:
    """INSERT the changed columns of every order stream with events matching `scope`."""
    entry = d.json_object + "(" + ", ".join(
        f"'{key}', {d.json('e.data', key)}" for key in NOTIFICATION_KEYS) + ")"
    status = " ".join(f"WHEN '{kind}' THEN '{status}'" for kind, status in STATUS_AFTER.items())
    columns = {"status": _latest(d, "type", STATUS_AFTER)}
    for kind, (at, detail) in zip(STATUS_AFTER, (("paid_at", "payment_reference"),
                                                 ("shipped_at", "tracking_number"),
                                                 ("cancelled_at", "cancel_reason")),
                                  strict=True):
        columns[at] = _latest(d, "moment", [kind])
        columns[detail] = _latest(d, "detail", [kind])
    columns["updated_at"] = _latest(d, "moment")
    values = {name: d.timestamp(_value(f"f.{name}")) if name.endswith("_at")
              else _value(f"f.{name}") for name in columns}
    values["status"] = f"CASE {values['status']} {status} END"
    return f"""
WITH changes AS MATERIALIZED (
    SELECT e.stream_id, e.position, e.version, e.type,
           {_case(MOMENT_OF, d.text("e.data", "{}"))} AS moment,
           {_case(DETAIL_OF, d.text("e.data", "{}"))} AS detail,
           CASE WHEN e.type = 'PaymentNotified' THEN {entry} END AS entry
    FROM events e WHERE e.type IN ({_kinds(MOMENT_OF)}) AND {scope}),
folded AS (
    SELECT stream_id, {", ".join(f"{sql} AS {name}" for name, sql in columns.items())},
           max(version) AS version
    FROM changes GROUP BY stream_id),
notified AS ({_notifications(d)})
INSERT INTO rebuild_changes (stream_id, {", ".join(CHANGED_COLUMNS)})
SELECT f.stream_id, {", ".join(values[name] for name in CHANGED_COLUMNS[:-2])},
       f.version, n.entries
FROM folded f LEFT JOIN notified n ON n.stream_id = f.stream_id"""


def _placed_columns(d: Dialect) -> dict[str, str]:
    """order_projector.placed_order in SQL: the columns an OrderPlaced event (alias e) sets."""
    def text(path: str) -> str:
        return d.text("e.data", path)

    def integer(path: str) -> str:
        return d.integer("e.data", path)

    def json(path: str) -> str:
        return d.json("e.data", path)

    return {
        "id": d.uuid(text("order_id")), "number": integer("number"),
        "currency": text("currency"), "customer_name": text("customer.name"),
        "customer_email": text("customer.email"), "customer_phone": text("customer.phone"),
        "lines": json("lines"), "shipping_address": json("shipping_address"),
        "billing_address": json("billing_address"), "payment_method": text("payment_method"),
        "shipping_method": text("shipping_method"),
        "shipping_method_name": text("shipping_method_name"),
        "subtotal": integer("subtotal"), "shipping": integer("shipping"),
        "tax_rate": text("tax_rate"), "tax": integer("tax"), "total": integer("total"),
        "placed_at": d.timestamp(text("placed_at")),
        "placed_by": d.text("e.metadata", "api_key_id"),
    }


def fold_orders(d: Dialect, scope: str) -> str:
    """INSERT the row of every OrderPlaced event matching `scope`, changes applied."""
    placed = _placed_columns(d)
    unchanged = {
        "status": "'pending_payment'", "updated_at": placed["placed_at"], "version": "1",
        "payment_notifications": d.empty_array,
    }
    columns = {**placed, **{
        name: f"coalesce(c.{name}, {unchanged[name]})" if name in unchanged else f"c.{name}"
        for name in CHANGED_COLUMNS}}
    return (f"INSERT INTO rebuild_orders ({', '.join(columns)}) "
            f"SELECT {', '.join(columns.values())} FROM events e "
            f"LEFT JOIN rebuild_changes c ON c.stream_id = e.stream_id "
            f"WHERE e.type = 'OrderPlaced' AND {scope}")
