"""Identical reads arriving while one is in flight share the next one, never the one
already running (it may have begun before their client's last write)."""

from __future__ import annotations

import asyncio

import pytest

from order_service.adapters.sql.batches import SharedReads
from tests.jetstream import run_async


async def settled() -> None:
    """Let every task that can run, run (a read is a task started by a task)."""
    for _ in range(5):
        await asyncio.sleep(0)


class Store:
    """A value that reads see as it was when each read began."""

    def __init__(self) -> None:
        self.value = 0
        self.reads_begun = 0
        self.gate = asyncio.Event()

    async def read(self) -> int:
        self.reads_begun += 1
        seen = self.value
        await self.gate.wait()
        return seen


def test_a_lone_read_is_its_own() -> None:
    async def scenario() -> tuple[int, int]:
        store, reads = Store(), SharedReads[int]()
        store.gate.set()
        return await reads.read("page", store.read), store.reads_begun
    assert run_async(scenario()) == (0, 1)


def test_reads_arriving_during_a_read_share_one_begun_after_them() -> None:
    async def scenario() -> tuple[int, list[int], int]:
        store, reads = Store(), SharedReads[int]()
        first = asyncio.create_task(reads.read("page", store.read))
        await settled()  # the first read has begun and seen 0
        store.value = 1  # a client writes, then asks
        later = [asyncio.create_task(reads.read("page", store.read)) for _ in range(5)]
        await settled()
        store.gate.set()
        return await first, list(await asyncio.gather(*later)), store.reads_begun
    first, later, begun = run_async(scenario())
    assert first == 0
    assert later == [1] * 5  # none got the read begun before the write
    assert begun == 2


def test_different_keys_are_read_apart_and_at_once() -> None:
    async def scenario() -> int:
        store, reads = Store(), SharedReads[int]()
        tasks = [asyncio.create_task(reads.read(key, store.read)) for key in "abc"]
        await settled()
        begun = store.reads_begun
        store.gate.set()
        await asyncio.gather(*tasks)
        return begun
    assert run_async(scenario()) == 3


def test_a_reader_that_gives_up_leaves_the_read_to_the_others() -> None:
    async def scenario() -> tuple[int, int]:
        store, reads = Store(), SharedReads[int]()
        leaving = asyncio.create_task(reads.read("page", store.read))
        staying = asyncio.create_task(reads.read("page", store.read))
        await settled()
        leaving.cancel()
        store.gate.set()
        return await staying, store.reads_begun
    assert run_async(scenario()) == (0, 1)


def test_a_failed_read_fails_those_sharing_it_and_not_the_next() -> None:
    async def scenario() -> tuple[list[BaseException | int], int]:
        reads, calls = SharedReads[int](), [0]

        async def flaky() -> int:
            calls[0] += 1
            await settled()
            if calls[0] == 1:
                raise ConnectionError("database gone")
            return 7
        shared = await asyncio.gather(reads.read("page", flaky), reads.read("page", flaky),
                                      return_exceptions=True)
        return [*shared, await reads.read("page", flaky)], calls[0]
    answers, calls = run_async(scenario())
    assert [type(a) for a in answers[:2]] == [ConnectionError, ConnectionError]
    assert answers[2] == 7
    assert calls == 2


@pytest.mark.parametrize("readers", [1, 40])
def test_nothing_is_left_behind_once_every_read_has_landed(readers: int) -> None:
    async def scenario() -> SharedReads[int]:
        store, reads = Store(), SharedReads[int]()
        store.gate.set()
        await asyncio.gather(*(reads.read(n % 7, store.read) for n in range(readers)))
        return reads
    reads = run_async(scenario())
    assert (reads._boarding, reads._flying) == ({}, {})  # no leak per key
