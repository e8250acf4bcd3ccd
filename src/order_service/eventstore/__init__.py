"""The append-only event store in SQL: the single source of truth."""
