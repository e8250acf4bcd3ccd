"""The spool an export page is read into before its status line (api/spooled.py)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from order_service.api.spooled import PageSpool, spooled
from order_service.application.errors import StorageUnavailable


def _pieces(count: int, size: int) -> list[bytes]:
    return [bytes([index % 251]) * size for index in range(count)]


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def _read_all(spool: PageSpool) -> bytes:
    chunks = []
    while chunk := spool.read(1000):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_page_within_the_memory_limit_stays_in_memory_and_reads_back_whole() -> None:
    pieces = _pieces(10, 100)

    spool = spooled(pieces, memory_bytes=1000)

    assert (spool.on_disk, spool.size) == (False, 1000)
    assert _read_all(spool) == b"".join(pieces)


def test_a_page_past_the_memory_limit_moves_to_a_file_and_reads_back_whole() -> None:
    pieces = _pieces(25, 100)

    spool = spooled(pieces, memory_bytes=1000)

    assert (spool.on_disk, spool.size) == (True, 2500)
    assert _read_all(spool) == b"".join(pieces)
    spool.close()


def test_a_piece_that_fails_passes_its_error_on_and_leaves_no_file_open() -> None:
    def failing() -> Iterator[bytes]:
        yield b"x" * 2000
        raise StorageUnavailable("the connection broke")

    open_before = _open_files()

    with pytest.raises(StorageUnavailable, match="the connection broke"):
        spooled(failing(), memory_bytes=1000)

    assert _open_files() == open_before


def test_a_page_still_being_read_at_its_deadline_stops_as_unavailable() -> None:
    read: list[bytes] = []

    def slow() -> Iterator[bytes]:
        for piece in _pieces(100, 10):
            read.append(piece)
            yield piece
            time.sleep(0.01)

    with pytest.raises(StorageUnavailable, match="longer than the request timeout"):
        spooled(slow(), deadline=time.monotonic() + 0.1)
    assert 0 < len(read) < 100
