"""Export pages under abuse: abandoned downloads, stalled readers, a crowded pool (issue 12).

Against real `order-service serve --workers 2` processes over TCP. The pages here are
megabytes (300 orders of 100 lines: ~8.8 MB of NDJSON), larger than the socket buffers
between client and server, so a client that stops reading really stops the server's
writes. A page must then cost the server no database connection, must be cut off after
the idle timeout, and must never look whole to a client when it is not.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.expectations import assert_problem
from tests.e2e.exports import (
    EXPORT,
    copies_of,
    csv_rows,
    large_order,
    ndjson_page_records,
    place_orders,
)
from tests.e2e.live import race
from tests.servers import Server, StartServer

POSTGRES_ONLY = pytest.mark.parametrize("backend", ["postgresql"])
FORMATS = ("ndjson", "csv", "json")
# ORDER_SERVICE_STREAM_IDLE_TIMEOUT_SECONDS here: small, so that the tests stay short.
IDLE_SECONDS = 2
# The attack: read the status line, stop reading this long, close.
STALL_SECONDS = 4
SMALL_RECEIVE_BUFFER = 4096
# Each of the 30 crowded exports asks for one page of all of them (limit=1000).
ORDERS_IN_CROWD = 500
SOCKET_TIMEOUT_SECONDS = 30
# Backends in these states are what a leaked page leaves behind: stuck writing a COPY
# to a client that does not read it, or holding a transaction open for nobody.
LEAKED_BACKENDS = text(
    "SELECT state, wait_event, left(query, 60) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "AND (wait_event = 'ClientWrite' OR state LIKE 'idle in transaction%')")


class Download:
    """A GET of an export page on a socket of its own, with a small receive buffer,
    read only as far as the test says."""

    def __init__(self, server: Server, query: str) -> None:
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_RECEIVE_BUFFER)
        self.socket.settimeout(SOCKET_TIMEOUT_SECONDS)
        self.socket.connect(("127.0.0.1", server.port))
        head = [f"GET {EXPORT}?{query} HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
                *(f"{name}: {value}" for name, value in server.auth_headers.items())]
        self.socket.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        self.received = bytearray()

    def status_line(self) -> str:
        """The answer's first line (reading no more than it takes)."""
        while b"\r\n" not in self.received:
            self._receive()
        return self.received.split(b"\r\n", 1)[0].decode()

    def headers(self) -> dict[str, str]:
        """The answer's headers, names in lower case."""
        while b"\r\n\r\n" not in self.received:
            self._receive()
        head = self.received.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        return {name.strip().lower(): value.strip() for name, _, value in
                (line.partition(":") for line in head.split("\r\n")[1:])}

    def body_until_closed(self) -> bytes:
        """Everything the server sends after the headers until it closes the connection."""
        self.headers()
        while self._receive():
            pass
        return bytes(self.received.split(b"\r\n\r\n", 1)[1])

    def close(self) -> None:
        """Hang up, whatever is still unread."""
        self.socket.close()

    def _receive(self) -> bytes:
        chunk = self.socket.recv(65536)
        self.received += chunk
        return chunk


def shop_of_large_pages(server: Server, database_url: str, orders: int = 300) -> None:
    """`orders` orders of 100 lines with long product names: ~8.8 MB of NDJSON for 300."""
    copies_of(database_url, large_order(server.client), orders - 1)


def leaked_backends(database_url: str, *, within: float) -> list[tuple[Any, ...]]:
    """The backends a leaked page would leave, once none is left or `within` s passed."""
    engine = create_engine(database_url)
    deadline = time.monotonic() + within
    try:
        while True:
            with engine.connect() as connection:
                leaked = [tuple(row) for row in connection.execute(LEAKED_BACKENDS)]
            if not leaked or time.monotonic() > deadline:
                return leaked
            time.sleep(0.1)
    finally:
        engine.dispose()


def orders_on_a_whole_page(export_format: str, response: httpx.Response) -> int:
    """How many orders a page holds; it must be whole (trailer or closing JSON)."""
    if export_format == "ndjson":
        return len(ndjson_page_records(response.text))
    if export_format == "csv":
        return len({row["id"] for row in csv_rows(response.text)[1]})
    page = response.json()
    assert page.keys() == {"items", "next_cursor"}
    return len(page["items"])


def looks_whole(export_format: str, body: bytes) -> bool:
    """Whether a client checking as the README says would take `body` for a whole page."""
    if export_format == "json":
        try:
            json.loads(body)
        except ValueError:
            return False
        return True
    lines = body.splitlines()
    if export_format == "ndjson":
        return bool(lines) and lines[-1].startswith(b'{"complete":true,')
    return bool(lines) and lines[-1].startswith(b"#complete,")


@POSTGRES_ONLY
def test_abandoned_downloads_leave_every_worker_answering_and_no_backend_writing(
    start_server: StartServer, database_url_for_test: str,
) -> None:
    server = start_server(workers=2, settings={
        "db_pool_size": "4", "stream_idle_timeout_seconds": str(IDLE_SECONDS)})
    shop_of_large_pages(server, database_url_for_test)

    for _ in range(3):
        downloads = [Download(server, "limit=1000&format=ndjson") for _ in range(2)]
        assert [download.status_line() for download in downloads] == ["HTTP/1.1 200 OK"] * 2
        time.sleep(STALL_SECONDS)
        for download in downloads:
            download.close()

    # New connections, so that both workers are asked (the kernel picks one for each).
    for _ in range(10):
        assert httpx.get(f"{server.base_url}/health/live", timeout=1.0).status_code == 200
    assert leaked_backends(database_url_for_test, within=IDLE_SECONDS + 1) == []
    assert server.process is not None
    server.process.terminate()
    assert server.process.wait(timeout=15) == 0


def test_a_client_that_stops_reading_is_cut_off_after_the_idle_timeout_short_of_a_whole_page(
    start_server: StartServer, database_url_for_test: str, backend: str,
) -> None:
    server = start_server(workers=2, settings={"stream_idle_timeout_seconds": "1"})
    shop_of_large_pages(server, database_url_for_test)
    # Every page larger than the socket buffers (~3 MB here): 300 orders, or 100 as CSV,
    # whose rows repeat the order's fields on each of its lines (~5.8 MB).
    downloads = {name: Download(server, f"limit={100 if name == 'csv' else 1000}&format={name}")
                 for name in FORMATS}
    promised = {name: int(download.headers()["content-length"])
                for name, download in downloads.items()}

    # Each page was read whole before its headers: no connection waits on its client.
    if backend == "postgresql":
        assert leaked_backends(database_url_for_test, within=0) == []
    time.sleep(3)
    received = {name: download.body_until_closed() for name, download in downloads.items()}

    for name, body in received.items():
        assert len(body) < promised[name], name
        assert not looks_whole(name, body), name
    assert server.output().count("the client took nothing for 1 s") == len(FORMATS)
    assert httpx.get(f"{server.base_url}/health/live", timeout=1.0).status_code == 200


def test_thirty_parallel_exports_on_a_pool_of_four_are_each_whole_or_a_503_to_retry(
    start_server: StartServer, database_url_for_test: str,
) -> None:
    server = start_server(workers=2, settings={
        "db_pool_size": "4", "db_pool_timeout_seconds": "1", "request_timeout_seconds": "5"})
    copies_of(database_url_for_test, place_orders(server.client, 1)[0], ORDERS_IN_CROWD - 1)
    formats = [FORMATS[index % len(FORMATS)] for index in range(30)]

    answers = race(server, [
        lambda client, name=name: client.get(EXPORT, params={"format": name, "limit": 1000})
        for name in formats])

    assert 200 in {answer.status_code for answer in answers}, "the crowd was only refused"
    for name, answer in zip(formats, answers, strict=True):
        if answer.status_code == 503:
            assert_problem(answer, 503)
            assert int(answer.headers["retry-after"]) > 0
        else:
            assert answer.status_code == 200, answer.text
            assert orders_on_a_whole_page(name, answer) == ORDERS_IN_CROWD, name
