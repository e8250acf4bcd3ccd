"""Use cases: commands and their handlers, queries, and the ports they need."""
