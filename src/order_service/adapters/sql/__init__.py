"""SQL (SQLite and PostgreSQL) behind the application's ports, except the events (eventstore)
and the read models (projections): engine, storage, write path, keys, sessions, checkpoints."""
