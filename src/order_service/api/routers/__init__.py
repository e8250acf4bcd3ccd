"""Thin routers: parse, hand a command or query to the application, map the answer."""
