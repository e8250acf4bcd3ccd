"""Sign a payment notification as a payment gateway would, and send it (or print curl).

    python examples/sign_notification.py --order-id 7d3f...a10 --amount 6637 --currency EUR
    python examples/sign_notification.py --order-id 7d3f...a10 --amount 6637 --send \\
        --url http://127.0.0.1:8000

The shared secret comes from --secret or ORDER_SERVICE_PAYMENT_GATEWAY_SECRET (the same
setting the service reads). The signature is Stripe's scheme: the header
`Signature: t=<unix seconds>,v1=<hex>` where hex = HMAC-SHA256(secret, "<t>." + raw body).
The body must be sent byte for byte as signed; this script signs and sends one string.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import shlex
import sys
import time
import uuid

import httpx


def signature(body: bytes, secret: str, timestamp: int) -> str:
    """The Signature header value for `body` signed with `secret` at `timestamp`."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body,
                      hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def notification_body(order_id: str, amount: int, currency: str, *, status: str = "succeeded",
                      notification_id: str | None = None,
                      payment_reference: str | None = None) -> bytes:
    """The JSON body of a notification, exactly as it will be signed and sent."""
    return json.dumps({
        "id": notification_id or f"evt_{uuid.uuid4().hex[:16]}",
        "order_id": order_id,
        "status": status,
        "amount": amount,
        "currency": currency,
        "payment_reference": payment_reference or f"pay_{uuid.uuid4().hex[:12]}",
    }, separators=(",", ":")).encode()


def main(argv: list[str] | None = None) -> int:
    """Sign one notification; send it with --send, else print the curl that would."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--order-id", required=True)
    parser.add_argument("--amount", required=True, type=int, help="minor units, e.g. 6637")
    parser.add_argument("--currency", default="EUR")
    parser.add_argument("--status", choices=["succeeded", "failed"], default="succeeded")
    parser.add_argument("--id", dest="notification_id", help="notification id (default: new)")
    parser.add_argument("--secret", default=os.environ.get("ORDER_SERVICE_PAYMENT_GATEWAY_SECRET"))
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--send", action="store_true", help="POST it instead of printing curl")
    args = parser.parse_args(argv)
    if not args.secret:
        parser.error("give --secret or set ORDER_SERVICE_PAYMENT_GATEWAY_SECRET")
    body = notification_body(args.order_id, args.amount, args.currency, status=args.status,
                             notification_id=args.notification_id)
    header = signature(body, args.secret, int(time.time()))
    url = f"{args.url.rstrip('/')}/v1/payment-notifications"
    if not args.send:
        signed = shlex.quote("Signature: " + header)
        print(f"curl -s -X POST {shlex.quote(url)} -H 'Content-Type: application/json' "
              f"-H {signed} --data-binary {shlex.quote(body.decode())}")
        return 0
    response = httpx.post(url, content=body, headers={"Content-Type": "application/json",
                                                      "Signature": header})
    print(response.status_code, response.text)
    return 0 if response.is_success else 1


if __name__ == "__main__":
    sys.exit(main())
