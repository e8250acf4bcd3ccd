"""A recording proxy for PostgreSQL's wire protocol: what a client really sends.

bench/sqlcheck.py points the service at this proxy instead of the database. Whatever
driver or layer the service uses (SQLAlchemy, psycopg directly, prepared statements,
pipeline mode, a server-side function), the proxy sees each statement as the server
receives it: its text (with $1 placeholders), its parameters, the rows it returns and
their column names. It also counts round trips: each time a connection's client sends
after an answer from the server has reached it is one (a pipelined batch counts once);
`record(hold_seconds=...)` delays every answer so that a client busy in Python between
two sends of a pipeline is not mistaken for one waiting.

Only what a client needs for the bench is decoded; the bytes are forwarded untouched.
TLS is declined (the client then talks in the clear, as on a local socket).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass
class Statement:
    """One executed statement, as the server received it."""

    connection: int
    text: str
    types: list[int]  # parameter type OIDs from Parse (0: left to the server)
    params: list[str | None]  # decoded; binary values of unknown types as "\\x..."
    round_trip: int  # the round trip (of the recording) it was sent in
    columns: list[str] = field(default_factory=list)
    column_types: list[int] = field(default_factory=list)
    result_formats: list[int] = field(default_factory=list)  # from Bind: 0 text, 1 binary
    rows: list[list[str | None]] = field(default_factory=list)
    outcome: str = ""  # the command tag, or "ERROR: ..."


@dataclass
class Recording:
    """What was sent while recording: statements in order, and the round trips (each
    time a connection's client sent after an answer had reached it), with the kinds of
    message each round trip carried."""

    statements: list[Statement] = field(default_factory=list)
    round_trips: int = 0
    trips: dict[tuple[int, int], set[str]] = field(default_factory=dict)

    def waits(self, kept: list[Statement]) -> int:
        """Round trips the client waited for, but for the driver's one-offs: a trip
        that only prepares a statement (psycopg does, once per connection, after 5
        runs), and one whose only statements are not in `kept` (a pool's pre-ping).
        A trip that only syncs (the end of a psycopg pipeline) counts: it is a wait."""
        executed = {(s.connection, s.round_trip) for s in kept}
        count = 0
        for trip, kinds in self.trips.items():
            if kinds & {"E", "Q"}:
                count += trip in executed
            else:
                count += "P" not in kinds
        return count


class _Connection:
    """One client connection's protocol state (its two pumps share it under a lock)."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.prepared: dict[str, tuple[str, list[int]]] = {}
        self.described: dict[str, tuple[list[str], list[int]]] = {}  # statement: its rows
        self.portals: dict[str, Statement] = {}
        self.expected: deque[tuple[str, Statement | None]] = deque()
        self.server_spoke_last = True
        self.trip = 0  # the round trip (of the recording) its client is in
        self.lock = threading.Lock()


class Proxy:
    """Listens on 127.0.0.1 (a free port) and forwards to `host`:`port`."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.recording: Recording | None = None
        self.hold_seconds = 0.0
        self._lock = threading.Lock()
        self._count = 0
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, name="wire-accept", daemon=True).start()

    @contextmanager
    def record(self, hold_seconds: float = 0.0) -> Iterator[Recording]:
        """Record everything sent meanwhile, on every connection.

        With `hold_seconds`, every answer of the server reaches the client that much
        later. A client that keeps sending meanwhile (a pipeline) was not waiting, so only
        a send that follows a delivered answer counts as a round trip: without the hold,
        a client busy in Python between two sends of one pipeline would seem to have
        waited for the answer that happened to arrive in between.
        """
        recording = Recording()
        self.recording = recording
        self.hold_seconds = hold_seconds
        try:
            yield recording
        finally:
            self.recording = None
            self.hold_seconds = 0.0

    def close(self) -> None:
        self.listener.close()
        for sock in list(self._sockets):
            with suppress(OSError):
                sock.close()

    # Plumbing -------------------------------------------------------------------------

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with self._lock:
            self._count += 1
            state = _Connection(self._count)
        try:
            startup = self._startup(client)
            if startup is None:
                client.close()
                return
            server = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        self._sockets += [client, server]
        server.sendall(startup)
        threading.Thread(target=self._pump_server, args=(server, client, state),
                         daemon=True).start()
        self._pump_client(client, server, state)

    def _startup(self, client: socket.socket) -> bytes | None:
        """Decline TLS and GSS encryption; the startup packet to forward (None: none)."""
        while True:
            head = _read_exactly(client, 8)
            if head is None:
                return None
            length, code = struct.unpack("!ii", head)
            rest = _read_exactly(client, length - 8) or b""
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                client.sendall(b"N")
                continue
            if code == CANCEL_REQUEST:
                with socket.create_connection(self.upstream) as server:
                    server.sendall(head + rest)
                return None
            return head + rest

    def _pump_client(self, client: socket.socket, server: socket.socket,
                     state: _Connection) -> None:
        buffer = b""
        try:
            while chunk := client.recv(65536):
                with state.lock:
                    recording = self.recording
                    if state.server_spoke_last and recording is not None:
                        recording.round_trips += 1
                        state.trip = recording.round_trips
                    state.server_spoke_last = False
                    buffer += chunk
                    buffer = _messages(buffer, lambda kind, body: self._from_client(
                        state, kind, body))
                server.sendall(chunk)
        except OSError:
            pass
        finally:
            _close(client, server)

    def _pump_server(self, server: socket.socket, client: socket.socket,
                     state: _Connection) -> None:
        buffer = b""
        try:
            while chunk := server.recv(65536):
                with state.lock:
                    buffer += chunk
                    buffer = _messages(buffer, lambda kind, body: _from_server(
                        state, kind, body))
                if self.hold_seconds:
                    time.sleep(self.hold_seconds)
                with state.lock:
                    state.server_spoke_last = True
                client.sendall(chunk)
        except OSError:
            pass
        finally:
            _close(client, server)

    # The frontend's messages ----------------------------------------------------------

    def _from_client(self, state: _Connection, kind: bytes, body: bytes) -> None:
        if self.recording is not None:
            self.recording.trips.setdefault((state.number, state.trip), set()).add(
                kind.decode())
        if kind == b"P":
            name, offset = _cstring(body, 0)
            text, offset = _cstring(body, offset)
            (count,) = struct.unpack_from("!h", body, offset)
            types = list(struct.unpack_from(f"!{count}I", body, offset + 2))
            state.prepared[name] = (text, types)
            state.expected.append(("P", None))
        elif kind == b"B":
            state.portals[_bind_portal(body)] = self._bound(state, body)
            state.expected.append(("B", None))
        elif kind == b"D":
            target, name = body[:1], _cstring(body, 1)[0]
            if target == b"P":
                state.expected.append(("DP", state.portals.get(name)))
            else:  # the statement's parameter types come back: remember under its name
                state.expected.append(("DS", Statement(state.number, name, [], [], 0)))
        elif kind == b"E":
            statement = state.portals.get(_cstring(body, 0)[0])
            if statement is not None and self.recording is not None:
                statement.round_trip = state.trip
                self.recording.statements.append(statement)
            state.expected.append(("E", statement))
        elif kind == b"Q":
            statement = Statement(state.number, _cstring(body, 0)[0], [], [],
                                  state.trip)
            if self.recording is not None:
                self.recording.statements.append(statement)
            state.expected.append(("Q", statement))
        elif kind == b"S":
            state.expected.append(("S", None))
        elif kind == b"C":
            state.expected.append(("C", None))

    def _bound(self, state: _Connection, body: bytes) -> Statement:
        offset = _cstring(body, 0)[1]
        name, offset = _cstring(body, offset)
        text, types = state.prepared.get(name, ("", []))
        (count,) = struct.unpack_from("!h", body, offset)
        formats = list(struct.unpack_from(f"!{count}h", body, offset + 2))
        offset += 2 + 2 * count
        (count,) = struct.unpack_from("!h", body, offset)
        offset += 2
        params: list[str | None] = []
        for index in range(count):
            (length,) = struct.unpack_from("!i", body, offset)
            offset += 4
            if length < 0:
                params.append(None)
                continue
            value = body[offset:offset + length]
            offset += length
            binary = (formats[index] if len(formats) > 1 else formats[0] if formats else 0) == 1
            oid = types[index] if index < len(types) else 0
            params.append(decode_binary(value, oid) if binary else value.decode())
        (count,) = struct.unpack_from("!h", body, offset)
        statement = Statement(state.number, text, types, params, 0,
                              result_formats=list(struct.unpack_from(f"!{count}h", body,
                                                                     offset + 2)))
        statement.columns, statement.column_types = state.described.get(name, ([], []))
        return statement


def _from_server(state: _Connection, kind: bytes, body: bytes) -> None:
    """Attach what the server answers to the statement it answers."""
    head = state.expected[0] if state.expected else ("", None)
    if kind == b"t" and head[0] == "DS" and head[1] is not None:
        _learn_types(state, head[1].text, body)
    elif (kind == b"1" and head[0] == "P") or (kind == b"2" and head[0] == "B") \
            or (kind == b"3" and head[0] == "C"):
        state.expected.popleft()
    elif kind in (b"T", b"n") and head[0] in ("DP", "DS"):
        statement = state.expected.popleft()[1]
        if kind == b"T" and statement is not None and head[0] == "DP":
            statement.columns, statement.column_types = _columns(body)
        elif kind == b"T" and statement is not None:
            state.described[statement.text] = _columns(body)
    elif kind == b"T" and head[0] == "Q" and head[1] is not None:
        head[1].columns, head[1].column_types = _columns(body)
    elif kind == b"D" and head[1] is not None and head[0] in ("E", "Q"):
        head[1].rows.append(_row(body, head[1]))
    elif kind in (b"C", b"I", b"s") and head[0] in ("E", "Q"):
        if head[1] is not None:
            head[1].outcome = _cstring(body, 0)[0] if kind == b"C" else kind.decode()
        if head[0] == "E":
            state.expected.popleft()
    elif kind == b"E":
        _failed(state, head[1], body)
    elif kind == b"Z" and head[0] in ("S", "Q"):
        state.expected.popleft()


def _learn_types(state: _Connection, name: str, body: bytes) -> None:
    """A ParameterDescription: drivers that leave the types to the server (asyncpg)
    learn them so, and then bind binary values of those types."""
    (count,) = struct.unpack_from("!h", body, 0)
    if name in state.prepared:
        state.prepared[name] = (state.prepared[name][0],
                                list(struct.unpack_from(f"!{count}I", body, 2)))


def _failed(state: _Connection, statement: Statement | None, body: bytes) -> None:
    """An ErrorResponse: the server skips the rest of the batch, up to its Sync."""
    if statement is not None:
        statement.outcome = "ERROR: " + _error_message(body)
    while state.expected and state.expected[0][0] not in ("S", "Q"):
        state.expected.popleft()


# Decoding -----------------------------------------------------------------------------

def decode_binary(value: bytes, oid: int) -> str:
    """A binary parameter of a common type as its text form; others as \\x hex."""
    decoders = {
        16: lambda v: "true" if v == b"\x01" else "false",
        20: lambda v: str(struct.unpack("!q", v)[0]),
        21: lambda v: str(struct.unpack("!h", v)[0]),
        23: lambda v: str(struct.unpack("!i", v)[0]),
        25: bytes.decode, 1043: bytes.decode, 114: bytes.decode, 19: bytes.decode,
        3802: lambda v: v[1:].decode(),  # jsonb: a version byte, then the text
        2950: lambda v: str(uuid.UUID(bytes=v)),
        701: lambda v: repr(struct.unpack("!d", v)[0]),
        1184: lambda v: (POSTGRES_EPOCH + timedelta(
            microseconds=struct.unpack("!q", v)[0])).isoformat(),
    }
    if oid in ARRAY_TYPES:
        return _array_literal(value)
    decoder = decoders.get(oid)
    return decoder(value) if decoder else "\\x" + value.hex()


# varchar[], text[], int8[], int4[], int2[], uuid[]: what asyncpg sends for ANY(...) and
# unnest.
ARRAY_TYPES = frozenset({1015, 1009, 1016, 1007, 1005, 2951})


def _array_literal(value: bytes) -> str:
    """A one-dimensional binary array as its text literal, e.g. {"100401","100402"}."""
    dimensions, _has_nulls, element_oid = struct.unpack_from("!iii", value)
    if dimensions == 0:
        return "{}"
    (count, _lower_bound), offset = struct.unpack_from("!ii", value, 12), 20
    elements = []
    for _ in range(count):
        (length,) = struct.unpack_from("!i", value, offset)
        offset += 4
        if length < 0:
            elements.append("NULL")
            continue
        text = decode_binary(value[offset:offset + length], element_oid)
        offset += length
        elements.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(elements) + "}"


def _messages(buffer: bytes, handle: Callable[[bytes, bytes], None]) -> bytes:
    """Hand each complete message of `buffer` to `handle`; what is left over."""
    offset = 0
    while len(buffer) - offset >= 5:
        (length,) = struct.unpack_from("!i", buffer, offset + 1)
        if len(buffer) - offset < 1 + length:
            break
        handle(buffer[offset:offset + 1], buffer[offset + 5:offset + 1 + length])
        offset += 1 + length
    return buffer[offset:]


def _cstring(body: bytes, offset: int) -> tuple[str, int]:
    end = body.index(b"\0", offset)
    return body[offset:end].decode(errors="replace"), end + 1


def _bind_portal(body: bytes) -> str:
    return _cstring(body, 0)[0]


def _columns(body: bytes) -> tuple[list[str], list[int]]:
    """A RowDescription's column names and type OIDs."""
    (count,) = struct.unpack_from("!h", body, 0)
    offset, names, types = 2, [], []
    for _ in range(count):
        name, offset = _cstring(body, offset)
        names.append(name)
        types.append(struct.unpack_from("!I", body, offset + 6)[0])
        offset += 18  # table oid, column number, type oid, size, modifier, format
    return names, types


def _row(body: bytes, statement: Statement) -> list[str | None]:
    """A DataRow's values as text (binary ones decoded by their column's type)."""
    (count,) = struct.unpack_from("!h", body, 0)
    formats = statement.result_formats
    offset, values = 2, []
    for index in range(count):
        (length,) = struct.unpack_from("!i", body, offset)
        offset += 4
        if length < 0:
            values.append(None)
            continue
        value = body[offset:offset + length]
        offset += length
        binary = (formats[index] if len(formats) > 1 else formats[0] if formats else 0) == 1
        oid = statement.column_types[index] if index < len(statement.column_types) else 0
        values.append(decode_binary(value, oid) if binary else value.decode(errors="replace"))
    return values


def _error_message(body: bytes) -> str:
    fields = {}
    offset = 0
    while offset < len(body) and body[offset] != 0:
        code = chr(body[offset])
        text, offset = _cstring(body, offset + 1)
        fields[code] = text
    return fields.get("M", "?")


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
