"""Requests that arrive while a call is in flight, sent together in the next call.

A worker process serves many requests at once on one event loop. Where each would send
the same statement with its own values, one call with all their values costs one round
trip and one commit instead of many: a flight of placements that all queue on the one
receipt-number row (placements.py), or their reads. A call goes out as soon as the
previous one returns: under light load every batch is one request and nothing waits;
under load the batches grow with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from functools import partial
from typing import Generic, TypeVar

from order_service.application.errors import StorageUnavailable

T = TypeVar("T")
# Enough to empty a busy worker's queue in one call, few enough that no call runs long.
MOST_PER_BATCH = 64


class Batches(Generic[T]):
    """Items (encoded requests) sent by `call` a batch at a time, one call in flight."""

    def __init__(self, call: Callable[[Sequence[str]], Awaitable[Sequence[T]]],
                 translated: Callable[[Exception], Exception], name: str) -> None:
        self._call = call
        self._translated = translated
        self._name = name
        self._waiting: list[tuple[str, asyncio.Future[T]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def send(self, item: str) -> T:
        """What the call answers for `item`, sent with whatever else is waiting."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_all(), name=self._name)
        return await future

    async def _send_all(self) -> None:
        while self._waiting:
            batch = self._waiting[:MOST_PER_BATCH]
            del self._waiting[:MOST_PER_BATCH]
            try:
                answers = await self._call([item for item, _ in batch])
            except asyncio.CancelledError:
                _fail(batch, lambda: StorageUnavailable("the server stopped meanwhile"))
                raise
            except Exception as error:
                # Every request of the batch gets the error (each its own instance, or
                # the same one when it cannot be told apart).
                _fail(batch, partial(self._translated, error))
                continue
            for (_, future), answer in zip(batch, answers, strict=True):
                # A request that gave up meanwhile (its client left) is not answered; what
                # it asked for was done all the same, as with any lost reply.
                if not future.done():
                    future.set_result(answer)


def _fail(batch: Sequence[tuple[str, asyncio.Future[T]]],
          error: Callable[[], Exception]) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error())


class SharedReads(Generic[T]):
    """Identical reads that arrive while one is in flight share the next one.

    A read already running may have begun before a request arrived, so it could miss
    what that request's client has just written; the requests that arrive meanwhile
    therefore wait for it to end and share one read begun after them all. Under light
    load every read is its own; under load a popular page (the newest orders) is read
    once per flight instead of once per request.
    """

    def __init__(self) -> None:
        self._boarding: dict[Hashable, asyncio.Task[T]] = {}
        self._flying: dict[Hashable, asyncio.Task[T]] = {}

    async def read(self, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        """What `fetch` answers, read after this call began, shared with those of `key`."""
        flight = self._boarding.get(key)
        if flight is None or flight.done():
            flight = self._boarding[key] = asyncio.create_task(
                self._fly(key, self._flying.get(key), fetch))
            flight.add_done_callback(_retrieved)
        # A request that gives up (its client left) leaves the read to the others.
        return await asyncio.shield(flight)

    async def _fly(self, key: Hashable, previous: asyncio.Task[T] | None,
                   fetch: Callable[[], Awaitable[T]]) -> T:
        try:
            if previous is not None:
                await asyncio.wait([previous])
        finally:
            this = self._boarding.pop(key)
        # From here on a newcomer boards the next flight, after this one.
        self._flying[key] = this
        try:
            return await fetch()
        finally:
            if self._flying.get(key) is this:
                del self._flying[key]


def _retrieved(task: asyncio.Task[T]) -> None:
    # Seen here, so an error nobody is left to hear of is not reported as unretrieved.
    if not task.cancelled():
        task.exception()
