"""A small tile server and a Nominatim-like geocoder, in-process on 127.0.0.1 (pytest
plugin, loaded by tests/conftest.py: fixtures `tile_server` and `geocoder`).

The map's tests run without internet: the service is pointed at these instead of
OpenStreetMap's servers, and each records every request it got, so a test can tell who
asked what (the service's User-Agent, the browser's tile requests).

- `TileServer`: answers GET /{z}/{x}/{y}.png with a plain 256x256 PNG.
- `Geocoder`: answers GET /search with the point given to it (`point`), or as told by
  `behaviour`: "answer", "nothing" (no such place), "error" (HTTP 503) or "slow"
  (answers after `delay_seconds`).
"""

from __future__ import annotations

import json
import re
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

TILE_PATH = re.compile(r"/(\d+)/(\d+)/(\d+)\.png")


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


TILE = _png(256, 256, (222, 232, 214))


@dataclass
class Seen:
    """One request a fake server got."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


class _Server:
    def __init__(self) -> None:
        self.requests: list[Seen] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                seen = Seen(url.path, {k: v[0] for k, v in parse_qs(url.query).items()},
                            {k.lower(): v for k, v in self.headers.items()})
                outer.requests.append(seen)
                status, content_type, body = outer.answer(seen)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where the server listens: http://127.0.0.1:PORT."""
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, seen: Seen) -> tuple[int, str, bytes]:
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


class TileServer(_Server):
    """Map tiles for any z/x/y."""

    @property
    def template(self) -> str:
        """The tile URL template to give the service."""
        return f"{self.url}/{{z}}/{{x}}/{{y}}.png"

    def answer(self, seen: Seen) -> tuple[int, str, bytes]:
        if TILE_PATH.fullmatch(seen.path):
            return 200, "image/png", TILE
        return 404, "text/plain", b"no such tile"


class Geocoder(_Server):
    """A Nominatim look-alike: /search answers one point, nothing, an error, or late."""

    def __init__(self, point: tuple[float, float] = (52.5290823, 13.4010925)) -> None:
        super().__init__()
        self.point = point
        self.behaviour = "answer"
        self.delay_seconds = 0.0

    @property
    def searches(self) -> list[Seen]:
        """The /search requests so far."""
        return [seen for seen in self.requests if seen.path == "/search"]

    def answer(self, seen: Seen) -> tuple[int, str, bytes]:
        if seen.path != "/search":
            return 404, "text/plain", b"not found"
        if self.behaviour == "slow":
            time.sleep(self.delay_seconds)
        if self.behaviour == "error":
            return 503, "text/plain", b"overloaded"
        if self.behaviour == "nothing":
            return 200, "application/json", b"[]"
        latitude, longitude = self.point
        result = [{"place_id": 1, "lat": f"{latitude:.7f}", "lon": f"{longitude:.7f}",
                   "display_name": "somewhere", "licence": "Data (c) OpenStreetMap"}]
        return 200, "application/json", json.dumps(result).encode()


@pytest.fixture
def tile_server() -> Iterator[TileServer]:
    """A tile server of this test's own, serving."""
    server = TileServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def geocoder() -> Iterator[Geocoder]:
    """A geocoder of this test's own, serving; it places every address at `.point`."""
    server = Geocoder()
    server.start()
    yield server
    server.close()


def wait_for(condition: Callable[[], object], seconds: float = 10.0,
             what: str = "the condition") -> None:
    """Wait until `condition()` is true, or fail saying `what` did not happen."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {seconds} s")
