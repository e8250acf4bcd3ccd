"""A small threaded TCP proxy that can take a database "down", freeze it, and bring it back.

The real PostgreSQL server is shared by every test (and by CI), so outages are simulated
here instead: a service under test is pointed at the proxy's port, and the test decides
what the connections between them do.

- `up()`: bytes flow both ways (new connections are forwarded to the target).
- `down()`: like a database that shuts down. Requests already sent get their replies for
  a short grace period (as a real server answers a COMMIT it already received), nothing
  new reaches the database, then every open connection is closed; new connections are
  accepted and reset at once (the client sees the server close the connection).
- `freeze()`: like a hung database (stopped process, paused VM). Connections stay open
  and nothing moves either way; new connections are accepted but never answered. The
  local kernel still acknowledges the bytes, so TCP-level timeouts do not fire; only a
  client-side timeout can end the wait. `up()` lets everything held flow again.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from types import TracebackType

CHUNK = 65_536
POLL_SECONDS = 0.02


class State(Enum):
    """What the proxy does with traffic right now."""

    UP = "up"
    DOWN = "down"
    FROZEN = "frozen"


@dataclass(eq=False)
class _Pair:
    """One client connection and, once forwarded, its connection to the target."""

    client: socket.socket
    upstream: socket.socket | None = None
    closed: threading.Event = field(default_factory=threading.Event)

    def shut(self) -> None:
        """Close both ends now (the pump thread notices and exits)."""
        self.closed.set()
        for end in (self.client, self.upstream):
            if end is not None:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    end.close()


class TcpProxy:
    """Forward 127.0.0.1:<port> to (target_host, target_port) until told otherwise."""

    def __init__(self, target_host: str, target_port: int, *, grace_seconds: float = 0.3
                 ) -> None:
        self.target = (target_host, target_port)
        self.grace_seconds = grace_seconds
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(POLL_SECONDS)
        self.port: int = self._listener.getsockname()[1]
        self._state = State.UP
        self._lock = threading.Lock()
        self._pairs: set[_Pair] = set()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.accepted = 0
        self.refused = 0

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> TcpProxy:
        """Begin accepting connections."""
        self._spawn(self._accept_forever, "tcp-proxy-accept")
        return self

    def close(self) -> None:
        """Stop accepting, close every connection and the listening socket."""
        self._stopping.set()
        self._shut_all()
        with contextlib.suppress(OSError):
            self._listener.close()
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # -- what the test controls ----------------------------------------------------------

    @property
    def state(self) -> State:
        """What the proxy does with traffic right now."""
        return self._state

    @property
    def open_connections(self) -> int:
        """Client connections currently held open."""
        with self._lock:
            return sum(1 for pair in self._pairs if not pair.closed.is_set())

    def down(self) -> None:
        """Shut the database away: drain replies briefly, then close everything."""
        self._state = State.DOWN
        time.sleep(self.grace_seconds)
        self._shut_all()

    def freeze(self) -> None:
        """Hold every byte in both directions; accept new connections but never answer."""
        self._state = State.FROZEN

    def up(self) -> None:
        """Forward again (held connections resume where they stopped)."""
        self._state = State.UP

    # -- machinery -----------------------------------------------------------------------

    def _spawn(self, target: Callable[..., None], name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    def _shut_all(self) -> None:
        with self._lock:
            pairs = list(self._pairs)
            self._pairs.clear()
        for pair in pairs:
            pair.shut()

    def _accept_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            if self._state is State.DOWN:
                self.refused += 1
                _reset(client)
                continue
            self.accepted += 1
            pair = _Pair(client)
            with self._lock:
                self._pairs.add(pair)
            self._spawn(self._pump, "tcp-proxy-pump", pair)

    def _pump(self, pair: _Pair) -> None:
        try:
            # A connection made while frozen is not even forwarded until the proxy is up.
            while self._state is State.FROZEN and not pair.closed.is_set():
                time.sleep(POLL_SECONDS)
            if pair.closed.is_set() or self._state is State.DOWN:
                return
            try:
                pair.upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                return
            pair.upstream.settimeout(None)
            self._forward(pair, pair.client, pair.upstream)
        finally:
            pair.shut()
            with self._lock:
                self._pairs.discard(pair)

    def _forward(self, pair: _Pair, client: socket.socket, upstream: socket.socket) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ, upstream)
            selector.register(upstream, selectors.EVENT_READ, client)
            while not pair.closed.is_set() and not self._stopping.is_set():
                if self._state is State.FROZEN:
                    time.sleep(POLL_SECONDS)
                    continue
                for key, _ in selector.select(timeout=POLL_SECONDS):
                    source = key.fileobj
                    target: socket.socket = key.data
                    try:
                        data = source.recv(CHUNK)
                    except OSError:
                        return
                    if not data:
                        return
                    if source is client and self._state is not State.UP:
                        continue  # going down: nothing new reaches the database
                    try:
                        target.sendall(data)
                    except OSError:
                        return


def _reset(connection: socket.socket) -> None:
    """Close with RST rather than FIN: the peer sees the connection reset at once."""
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        connection.close()
