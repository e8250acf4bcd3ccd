"""Adapters: the application's ports over each technology."""
