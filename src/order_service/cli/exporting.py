"""`export`: the order history to a file, streamed, with a progress bar.

The file holds the orders and nothing else (no trailer, unlike an HTTP page): it is
written beside its name and renamed into place only once complete, so a file that
exists is whole. Written to standard output (`--out -`), only exit status 0 says the
export is whole: a failure exits 2 (1 for an unexpected error), and a reader that
closes the pipe early makes the command stop at once and exit 141, as cat would.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from tqdm import tqdm

from order_service.adapters.sql.storage import SqlStorage
from order_service.api.timestamps import in_utc
from order_service.application import export, queries
from order_service.application.views import OrderFilter
from order_service.bootstrap import bootstrap
from order_service.cli.errors import ReaderGone
from order_service.domain.payment_instructions import TransferTerms
from order_service.domain.values import OrderStatus
from order_service.projections.documents import ndjson_export
from order_service.settings import get_settings

T = TypeVar("T")

# Chunks written to the file: an export of a million orders is a gigabyte, and a write
# per 64 KiB (the HTTP export's chunk) would be 16,000 system calls.
WRITE_CHUNK_BYTES = 1024 * 1024
# What a command killed by SIGPIPE exits with (128 + 13), as cat does when its reader
# goes away: the export was not all written, and `set -o pipefail` should see it.
READER_GONE_STATUS = 141


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `export`."""
    exporting = commands.add_parser(
        "export", help="write the order history to a file (CSV, NDJSON or JSON), streamed")
    exporting.add_argument("--format", choices=export.FORMATS, default="ndjson",
                           help="file format (default ndjson)")
    exporting.add_argument("--out", required=True, type=Path,
                           help="file to write; '-' writes to standard output")
    exporting.add_argument("--status", action="append", choices=[s.value for s in OrderStatus],
                           help="only orders in this status (repeat for several)")
    exporting.add_argument("--placed-from", type=_moment, metavar="ISO8601",
                           help="only orders placed at or after (UTC if no zone)")
    exporting.add_argument("--placed-to", type=_moment, metavar="ISO8601",
                           help="only orders placed before (UTC if no zone)")
    exporting.add_argument("--updated-since", type=_moment, metavar="ISO8601",
                           help="only orders changed at or after (UTC if no zone)")
    exporting.set_defaults(run=_export)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time, e.g. 2026-11-01 or 2026-11-01T09:30:00+01:00"
        ) from None
    # The API's conversion, so both refuse the same times at the ends of the calendar.
    try:
        return in_utc(moment)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} {error}") from None


def _export(args: argparse.Namespace) -> int:
    settings = get_settings()
    where = OrderFilter(
        statuses=frozenset(OrderStatus(s) for s in args.status or []),
        placed_from=args.placed_from, placed_to=args.placed_to,
        updated_since=args.updated_since,
    )
    # The statement timeout keeps HTTP requests from queueing behind a slow query; a CSV
    # or JSON export of a million orders is one statement of a minute.
    with bootstrap(settings, pool_size=2, statement_timeout=False) as service:
        try:
            service.require_schema()
            with (_export_of(args.format, service.storage, where, settings.transfer_terms())
                  as (total, counted_chunks),
                  tqdm(total=total, unit="order", desc="exporting", file=sys.stderr) as bar):
                written = _write_atomically(args.out, counted_chunks(bar))
        except ReaderGone:
            # Stopped at once, the database released; not 0, which would claim a whole
            # export.
            return READER_GONE_STATUS
    print(f"exported {bar.n} orders ({written} bytes) to {args.out}", file=sys.stderr)
    return 0


@contextmanager
def _export_of(format_name: str, storage: SqlStorage, where: OrderFilter,
               transfer: TransferTerms
               ) -> Iterator[tuple[int, Callable[[tqdm[Any]], Iterator[bytes]]]]:
    """How many orders the export holds, and its chunks, counting orders on a bar."""
    if format_name == "ndjson":
        # The case of hundreds of thousands of orders: read in parallel, in blocks.
        with ndjson_export(storage.engine, where, transfer) as ndjson:
            yield ndjson.orders, lambda bar: _lines_counted(ndjson.blocks, bar)
        return
    everything = queries.EVERYTHING
    total = queries.count_orders(storage, where)
    # The read transaction ends with the block, on this thread, however the writing ends.
    if format_name == "json":
        with queries.documents_in(storage, where, everything, transfer) as documents:
            yield total, lambda bar: export.in_chunks(
                export.json_array(_counted(documents, bar)), WRITE_CHUNK_BYTES)
    else:
        with queries.orders_in(storage, where, everything) as orders:
            yield total, lambda bar: export.in_chunks(
                export.csv_rows(_counted(orders, bar), transfer), WRITE_CHUNK_BYTES)


def _counted(items: Iterator[T], bar: tqdm[Any]) -> Iterator[T]:
    # Updating the bar per order would cost more than writing the order.
    pending = 0
    for item in items:
        yield item
        pending += 1
        if pending == 1000:
            bar.update(pending)
            pending = 0
    bar.update(pending)


def _lines_counted(chunks: Iterator[bytes], bar: tqdm[Any]) -> Iterator[bytes]:
    # An NDJSON block holds whole lines, one per order (JSON text has no raw line feed).
    for chunk in chunks:
        yield chunk
        bar.update(chunk.count(b"\n"))


def _write_atomically(target: Path, chunks: Iterator[bytes]) -> int:
    """Write to a temporary file beside `target`, then rename: no half file on failure.

    Standard output (`-`) and what is not a regular file (/dev/null, a named pipe) are
    written directly: renaming over them would replace a device with a file.
    """
    if str(target) == "-":
        return _write_to_stdout(chunks)
    if target.exists() and not target.is_file():
        with target.open("wb") as stream:
            return _write_all(stream, chunks)
    # A name of its own, so two exports to one file never share a temporary file.
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        with partial.open("wb") as file:
            written = _write_all(file, chunks)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return written


def _write_to_stdout(chunks: Iterator[bytes]) -> int:
    try:
        written = _write_all(sys.stdout.buffer, chunks)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        # The reader (e.g. `head`) has what it wanted; stop quietly, as cat would (the
        # interpreter's last flush at exit must not fail on the closed pipe either).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise ReaderGone from None
    return written


def _write_all(stream: BinaryIO, chunks: Iterator[bytes]) -> int:
    written = 0
    for chunk in chunks:
        rest = memoryview(chunk)
        # A pipe whose reader goes away mid-write takes part of a chunk without an error;
        # the write of the rest is the one that fails.
        while rest:
            rest = rest[stream.write(rest):]
        written += len(chunk)
    return written
