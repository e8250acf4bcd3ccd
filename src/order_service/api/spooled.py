"""Answers read in full before their status line, then sent from a spool.

An export page used to be read from the database while the client read the answer: a
client that stopped reading kept a database connection (and, in the middle of a COPY,
the driver's lock on it) for as long as it liked, and an abandoned page was finalized
by whichever thread collected it, the event loop's included. A page is now read whole
on the request's worker thread, into memory up to SPOOL_MEMORY_BYTES and a temporary
file beyond that, and its connection is back in the pool before the status line goes
out. Sending it holds only the spool and the socket; a client that takes nothing for
the idle timeout is cut off, and its answer then lacks the bytes its Content-Length
promised (and the page its trailer), so no client can take it for a whole page.
"""

from __future__ import annotations

import io
import logging
import tempfile
import time
from collections.abc import Iterable, Mapping
from typing import BinaryIO

import anyio
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from order_service.application.errors import StorageUnavailable

log = logging.getLogger(__name__)

# A page of 1,000 ordinary orders (~1.3 MB of NDJSON) stays in memory; a page of large
# orders (up to ~60 MB: 1,000 orders of 100 lines as CSV) goes to a temporary file, so
# a worker's memory does not grow with the pages its slow clients have yet to read.
SPOOL_MEMORY_BYTES = 2 * 1024 * 1024
# Per write to the client: large enough that per-write costs vanish, small enough that
# one stalled write holds little.
CHUNK_BYTES = 64 * 1024


class PageSpool:
    """Bytes written once, then read once: in memory up to a limit, then in a file."""

    def __init__(self, memory_bytes: int = SPOOL_MEMORY_BYTES) -> None:
        self._memory_bytes = memory_bytes
        self._memory = io.BytesIO()
        self._file: BinaryIO | None = None
        self.size = 0

    @property
    def on_disk(self) -> bool:
        """Whether the bytes went to a temporary file (reading them may then block)."""
        return self._file is not None

    def write(self, data: bytes) -> None:
        """Append `data`, moving everything to a temporary file once past the limit."""
        if self._file is None and self.size + len(data) > self._memory_bytes:
            # Unnamed (unlinked at once where the system allows): nothing to clean up later.
            self._file = tempfile.TemporaryFile()  # noqa: SIM115  (closed by close())
            self._file.write(self._memory.getvalue())
            self._memory = io.BytesIO()
        self._stream().write(data)
        self.size += len(data)

    def rewind(self) -> None:
        """Start reading from the first byte."""
        self._stream().seek(0)

    def read(self, size: int) -> bytes:
        """The next `size` bytes at most; empty at the end."""
        return self._stream().read(size)

    def close(self) -> None:
        """Free the memory or the file."""
        self._stream().close()

    def _stream(self) -> BinaryIO:
        return self._memory if self._file is None else self._file


def spooled(pieces: Iterable[bytes], *, deadline: float | None = None,
            memory_bytes: int = SPOOL_MEMORY_BYTES) -> PageSpool:
    """A spool holding every piece, rewound; nothing is left open if a piece fails.

    Past `deadline` (time.monotonic()) the request has been answered 503 already, so
    reading stops there rather than hold its connection for a page nobody will get.
    """
    spool = PageSpool(memory_bytes)
    try:
        for piece in pieces:
            if deadline is not None and time.monotonic() > deadline:
                raise StorageUnavailable("the page took longer than the request timeout")
            spool.write(piece)
    except BaseException:
        spool.close()
        raise
    spool.rewind()
    return spool


class SpooledResponse(Response):
    """Send a spool with its Content-Length; cut off a client that stops taking it."""

    def __init__(self, spool: PageSpool, *, idle_seconds: float, media_type: str,
                 headers: Mapping[str, str]) -> None:
        self.spool = spool
        self.idle_seconds = idle_seconds
        super().__init__(None, 200, {**headers, "Content-Length": str(spool.size)},
                         media_type)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as tasks:

                async def deliver() -> None:
                    await self._deliver(scope, send)
                    tasks.cancel_scope.cancel()

                tasks.start_soon(deliver)
                # A client that went away makes sends return at once without sending:
                # stop reading the spool for nobody.
                await _disconnected(receive)
                tasks.cancel_scope.cancel()
        finally:
            self.spool.close()

    async def _deliver(self, scope: Scope, send: Send) -> None:
        start = {"type": "http.response.start", "status": self.status_code,
                 "headers": self.raw_headers}
        if not await self._sent_in_time(send, start):
            return
        sent = 0
        while chunk := await self._next_chunk():
            if not await self._sent_in_time(send, _body(chunk, more=True)):
                # Returning without the last message makes the server close the
                # connection short of the Content-Length: the client sees a cut answer.
                log.warning("cut off %s after %d of %d bytes: the client took nothing for "
                            "%g s", scope.get("path"), sent, self.spool.size,
                            self.idle_seconds)
                return
            sent += len(chunk)
        await self._sent_in_time(send, _body(b"", more=False))

    async def _next_chunk(self) -> bytes:
        if self.spool.on_disk:
            return await anyio.to_thread.run_sync(self.spool.read, CHUNK_BYTES)
        return self.spool.read(CHUNK_BYTES)

    async def _sent_in_time(self, send: Send, message: Message) -> bool:
        # The server's send waits while its write buffer is full, i.e. while the client
        # is not reading; that wait is what the idle timeout bounds.
        with anyio.move_on_after(self.idle_seconds) as waiting:
            await send(message)
        return not waiting.cancelled_caught


def _body(chunk: bytes, *, more: bool) -> Message:
    return {"type": "http.response.body", "body": chunk, "more_body": more}


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
