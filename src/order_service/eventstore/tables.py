"""The events table: one row per event, never updated, never deleted."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Integer, String, Table, UniqueConstraint

from order_service.adapters.sql.column_types import JsonDocument, Position, UtcDateTime
from order_service.adapters.sql.tables import metadata

events = Table(
    "events",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("stream_id", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(100), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("data", JsonDocument, nullable=False),
    Column("metadata", JsonDocument, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    # The optimistic-concurrency guard: two writers that read a stream at the same
    # version cannot both append the next one.
    UniqueConstraint("stream_id", "version"),
    CheckConstraint("version >= 1", name="version_positive"),
    sqlite_autoincrement=True,
)
