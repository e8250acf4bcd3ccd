"""Who causes the shop's events: how their metadata's `caused_by` names each, and how
the order's history names it for people."""

from __future__ import annotations

# `caused_by` is "<who>: <what>": "api-key <key name>: POST /v1/orders/{order_id}/pay",
# "payment-gateway: POST /v1/payment-notifications", "payment-hold-sweeper: <where>".
API_KEY = "api-key"
PAYMENT_GATEWAY = "payment-gateway"
PAYMENT_HOLD_SWEEPER = "payment-hold-sweeper"

_IN_WORDS = {PAYMENT_GATEWAY: "payment gateway", PAYMENT_HOLD_SWEEPER: "payment hold expiry"}


def caused_by(who: str, what: str) -> str:
    """The `caused_by` of a command's events."""
    return f"{who}: {what}"


def by_key(key_name: str, what: str) -> str:
    """The `caused_by` of a command made with an API key (the back office's too)."""
    return caused_by(f"{API_KEY} {key_name}", what)


def who_did_it(caused_by: str | None) -> str:
    """Who an event's `caused_by` names, in people's words: the API key's name, "payment
    gateway" or "payment hold expiry" ("unknown" for an event stored without one)."""
    who = (caused_by or "").partition(":")[0].strip()
    if who.startswith(f"{API_KEY} "):
        return who.removeprefix(f"{API_KEY} ")
    return _IN_WORDS.get(who, who or "unknown")
