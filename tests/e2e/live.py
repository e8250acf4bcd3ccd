"""Helpers for tests against real `order-service serve` processes with several workers.

`race` sends requests from many connections released at one moment; `events_after`,
`all_orders` read the service back the way a follower or a merchant would; `raw_post`
sends header bytes that httpx refuses to send; `serving` runs one server a whole module
shares (for cheap tests whose assertions only look at what they themselves did).
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.servers import Server

JsonObject = dict[str, Any]
Request = Callable[[httpx.Client], httpx.Response]

# A deadlock or a lost wake-up fails the test instead of hanging the run.
TIMEOUT_S = 60.0
# Small pools keep several servers (xdist) well under PostgreSQL's max_connections.
SERVER_SETTINGS = {"db_pool_size": "5"}
IDEMPOTENCY_KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


def race(server: Server | Sequence[Server], requests: Sequence[Request]
         ) -> list[httpx.Response]:
    """Send each request on its own connection (with the server's key), all released
    together; answers in order. Given several servers, the requests take turns at them.

    Every connection is opened (and used once) before the start, so the requests reach
    the server's workers at the same moment rather than as connections get accepted.
    """
    servers = [server] if isinstance(server, Server) else list(server)
    start = threading.Barrier(len(requests))
    # Plain HTTP, but httpx would load the CA bundle for each client (25 ms each).
    unused_tls = ssl.create_default_context()

    def run(index: int, request: Request) -> httpx.Response:
        target = servers[index % len(servers)]
        with target.new_client(timeout=TIMEOUT_S, verify=unused_tls) as client:
            client.get("/health/live").raise_for_status()
            start.wait(timeout=TIMEOUT_S)
            return request(client)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        futures = [pool.submit(run, index, request) for index, request in enumerate(requests)]
        return [future.result(timeout=TIMEOUT_S) for future in futures]


def post(path: str, body: JsonObject | None = None, **headers: str) -> Request:
    """A POST for `race`; keyword arguments are headers (underscores become dashes)."""
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    return lambda client: client.post(path, json=body, headers=sent)


def events_after(client: httpx.Client, after: int = 0, limit: int = 1000) -> list[JsonObject]:
    """Every event after position `after`, following the feed page by page."""
    collected: list[JsonObject] = []
    while True:
        response = client.get("/v1/events", params={"after": after, "limit": limit})
        assert response.status_code == 200, response.text
        page = response.json()
        if not page["items"]:
            return collected
        collected.extend(page["items"])
        after = page["next_after"]


def feed_end(client: httpx.Client) -> int:
    """The position of the newest event (0 when there is none)."""
    events = events_after(client)
    return events[-1]["position"] if events else 0


def all_orders(client: httpx.Client) -> list[JsonObject]:
    """Every order, following the list's cursors."""
    orders: list[JsonObject] = []
    params: dict[str, Any] = {"limit": 200}
    while True:
        response = client.get("/v1/orders", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        orders.extend(page["items"])
        if page["next_cursor"] is None:
            return orders
        params = {"limit": 200, "cursor": page["next_cursor"]}


def available(client: httpx.Client, sku: str) -> int:
    """A product's available stock."""
    response = client.get(f"/v1/products/{sku}")
    assert response.status_code == 200, response.text
    stock: int = response.json()["available"]
    return stock


def raw_post(server: Server, path: str, body: bytes, headers: Sequence[tuple[bytes, bytes]]
             ) -> tuple[int, dict[str, str], bytes]:
    """POST with header bytes exactly as given (httpx refuses some), after the server's
    key; status, headers, body."""
    key = [(name.encode(), value.encode()) for name, value in server.auth_headers.items()]
    head = [f"POST {path} HTTP/1.1".encode(), b"Host: 127.0.0.1",
            b"Content-Type: application/json", f"Content-Length: {len(body)}".encode(),
            b"Connection: close", *(name + b":" + value for name, value in [*key, *headers])]
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT_S) as connection:
        connection.sendall(b"\r\n".join(head) + b"\r\n\r\n" + body)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head_bytes, _, payload = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head_bytes.decode("latin-1").split("\r\n")
    answer_headers = {}
    for header_line in header_lines:
        name, _, value = header_line.partition(":")
        answer_headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), answer_headers, payload


@contextmanager
def serving(database_url: str, workdir: Path, **settings: str) -> Iterator[Server]:
    """A started two-worker server on `database_url`, stopped afterwards."""
    server = Server(database_url, workdir, workers=2, settings={**SERVER_SETTINGS, **settings})
    try:
        server.start()
        yield server
    finally:
        server.close()
