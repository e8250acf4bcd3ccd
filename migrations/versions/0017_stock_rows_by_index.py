"""PostgreSQL: place_orders() and change_orders() find their stock rows by index.

Both functions locked the batch's products with `sku IN (SELECT ...)` and changed stock
with `UPDATE ... FROM jsonb_to_recordset(...)`. Not knowing how few SKUs a batch names
(it guesses 100 for a set-returning function), the planner read every product for each:
a scan of the whole products table per batch and another per order, 109 million rows
visited in a 20-minute bench run, each row locked by one transaction and updated by a
subtransaction of it, so each visit had to look up who holds it (GetMultiXactIdMembers
was the first function of PostgreSQL's profile). `sku = ANY(ARRAY(...))` lets it look up
the few rows the batch names in the products' primary key instead.

The function texts are those of 0015 and 0016 with these statements replaced; the
downgrade puts those texts back as they were.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

import runpy
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HERE = Path(__file__).parent
PLACE_ORDERS = str(runpy.run_path(str(_HERE / "0015_place_orders_in_batches.py"))["PLACE_ORDERS"])
CHANGE_ORDERS = str(runpy.run_path(str(_HERE / "0016_change_orders_in_batches.py"))[
    "CHANGE_ORDERS"])

_STOCK_UPDATE = """            UPDATE products SET available = products.available + c.change,
                                updated_at = (item->>'stock_at')::timestamptz
            FROM jsonb_to_recordset(item->'stock') AS c(sku varchar, change bigint)
            WHERE products.sku = c.sku;"""
_STOCK_UPDATE_BY_INDEX = _STOCK_UPDATE.replace(
    "WHERE products.sku = c.sku;",
    "WHERE products.sku = c.sku AND products.sku = ANY(ARRAY(\n"
    "                SELECT line->>'sku' FROM jsonb_array_elements(item->'stock') AS line));")



def _deeper(statement: str) -> str:
    """`statement` indented one level deeper, as change_orders has it (inside its IF)."""
    return "    " + statement.replace("\n", "\n    ")


# (before, after) in each function's text.
PLACE_CHANGES = (
    ("""    WHERE sku IN (SELECT jsonb_array_elements_text(entry->'skus')
                  FROM jsonb_array_elements(batch) AS entry)""",
     """    WHERE sku = ANY(ARRAY(SELECT jsonb_array_elements_text(entry->'skus')
                          FROM jsonb_array_elements(batch) AS entry))"""),
    (_STOCK_UPDATE, _STOCK_UPDATE_BY_INDEX),
)
CHANGE_CHANGES = (
    ("""    WHERE sku IN (SELECT change->>'sku' FROM jsonb_array_elements(batch) AS entry,
                  jsonb_array_elements(entry->'stock') AS change)""",
     """    WHERE sku = ANY(ARRAY(SELECT change->>'sku' FROM jsonb_array_elements(batch) AS entry,
                          jsonb_array_elements(entry->'stock') AS change))"""),
    (_deeper(_STOCK_UPDATE), _deeper(_STOCK_UPDATE_BY_INDEX)),
)


def rewritten(function: str, changes: Sequence[tuple[str, str]]) -> str:
    """`function` with each change made, as CREATE OR REPLACE; a change not found fails."""
    for before, after in changes:
        if function.count(before) != 1:
            raise ValueError(f"0017 expected this text once in the function:\n{before}")
        function = function.replace(before, after)
    return function.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(rewritten(PLACE_ORDERS, PLACE_CHANGES))
        op.execute(rewritten(CHANGE_ORDERS, CHANGE_CHANGES))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(rewritten(PLACE_ORDERS, ()))
        op.execute(rewritten(CHANGE_ORDERS, ()))
