"""Benchmark of the order history export (issue 4) on PostgreSQL; prints one table.

    make bench-export                                # 500,000 orders, then 1,000,000
    .venv/bin/python bench/export.py --orders 50000  # a quick check (about a minute)

1. Page k costs what page 1 costs: GET /v1/orders/export of page 1 and of the last page
   (page 5,000 of 500,000 orders at the default limit of 100) from a real
   `order-service serve`, alternated A B A B, median latency of each and the median of
   the per-pair ratios.
2. NDJSON throughput: `order-service export --format ndjson` of every order, in orders
   per second, alternated with the same machine's raw `COPY (SELECT * FROM orders ORDER
   BY number) TO STDOUT` (the ceiling) and, for reference, the database writing the JSON
   itself (`COPY (SELECT row_to_json(o) ...)`).
3. Peak memory: the peak RSS of `order-service export` of 1,000,000 orders (NDJSON and
   CSV), each in its own child, next to the same command exporting no order at all (what
   the interpreter and imports cost).

This host's speed drifts (2 shared cores, PostgreSQL on them too), so every figure is a
ratio against a baseline measured in the same run, in alternating short runs. The
database is seeded directly (see bench/seed.py), made fresh and dropped at the end.
"""

# ruff: noqa: S603, S607 (the bench runs the installed order-service, git and nothing else)
from __future__ import annotations

import argparse
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import seed

from order_service.api.cursors import CursorCodec
from order_service.api.routers.export import cursor_kind
from order_service.application.views import OrderFilter

HERE = Path(__file__).resolve().parent
DEFAULT_RESULTS = HERE / "RESULTS-export.md"
CURSOR_SECRET = "bench-export-cursor-secret"  # noqa: S105 (a throwaway server's)
PAGE_LIMIT = 100  # the export's default page size
EXPORTED = re.compile(rb"exported (\d+) orders \((\d+) bytes\)")
MB = 1024 * 1024

# The targets (issue 6), shown beside the figures.
TARGET_PAGE_RATIO = 1.5
TARGET_ORDERS_PER_SECOND = 50_000
TARGET_PEAK_RSS_MB = 200


@dataclass
class Row:
    """One line of the results table."""

    figure: str
    value: str
    baseline: str
    ratio: str
    target: str = ""
    met: bool | None = None


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500_000,
                        help="orders in the store for the page and throughput figures")
    parser.add_argument("--memory-orders", type=int, default=None,
                        help="orders for the peak-memory figure (default: twice --orders)")
    parser.add_argument("--page-pairs", type=int, default=30)
    parser.add_argument("--throughput-pairs", type=int, default=3)
    parser.add_argument("--admin-url", default=seed.ADMIN_URL,
                        help="a PostgreSQL URL whose user may create databases "
                        "(default $BENCH_POSTGRES_URL or postgresql://postgres@127.0.0.1:5432/"
                        "postgres)")
    parser.add_argument("--results", type=Path, default=None,
                        help="markdown file for the table (default bench/RESULTS-export.md "
                        "for the full 500,000-order run, none for smaller runs)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    memory_orders = args.memory_orders or 2 * args.orders
    if memory_orders < args.orders or args.orders < PAGE_LIMIT:
        parser.error("--memory-orders must be at least --orders, and --orders at least 100")
    results_path = args.results or (DEFAULT_RESULTS if args.orders == 500_000 else None)

    started = time.perf_counter()
    results = Results()
    database = seed.create_database(args.admin_url)
    log(f"database {database.name}")
    try:
        seed.migrate(database)
        seed.seed_catalogue(database)
        seconds = seed.seed_orders(database, 1, args.orders, f"seeding {args.orders:,} orders")
        log(f"seeded {args.orders:,} orders in {seconds:.0f} s")
        with tempfile.TemporaryDirectory(prefix="bench-export-") as workdir:
            measure_pages(database, args.orders, args.page_pairs, Path(workdir), results)
            measure_throughput(database, args.orders, args.throughput_pairs, results)
            if memory_orders > args.orders:
                extra = memory_orders - args.orders
                seconds = seed.seed_orders(database, args.orders + 1, extra,
                                           f"seeding {extra:,} more orders")
                log(f"seeded {extra:,} more orders in {seconds:.0f} s")
            measure_memory(database, memory_orders, Path(workdir), results)
    finally:
        if args.keep:
            log(f"kept {database.url}")
        else:
            seed.drop_database(database, args.admin_url)
    elapsed = time.perf_counter() - started
    report = render(results, args.orders, memory_orders, elapsed, args.admin_url)
    print(report)
    if results_path is not None:
        results_path.write_text(report)
        log(f"wrote {results_path}")
    return 0


# 1. Page k against page 1 -------------------------------------------------------------

def measure_pages(database: seed.BenchDatabase, orders: int, pairs: int, workdir: Path,
                  results: Results) -> None:
    """Latency of page 1 and of the last full page, alternated A B A B."""
    last_page = orders // PAGE_LIMIT
    after = (last_page - 1) * PAGE_LIMIT
    # Walking 4,999 pages to reach page 5,000 would take longer than the whole bench.
    # The cursor a walk would end with is minted instead with the service's own codec,
    # secret and cursor kind (the router's cursor_kind for "no filters"); the check
    # below shows that this minting gives exactly the cursors the server hands out.
    codec = CursorCodec(CURSOR_SECRET.encode())
    kind = cursor_kind(OrderFilter())
    page_k_cursor = codec.encode(kind, after)
    with Server(database, workdir) as server:
        client = server.client
        first = client.get("/v1/orders/export", params={"limit": PAGE_LIMIT})
        first.raise_for_status()
        handed_out = first.json()["next_cursor"]
        assert handed_out == codec.encode(kind, PAGE_LIMIT), "minted cursors differ"
        page_k = client.get("/v1/orders/export", params={"cursor": page_k_cursor})
        page_k.raise_for_status()
        numbers = [item["number"] for item in page_k.json()["items"]]
        assert numbers == list(range(after + 1, after + PAGE_LIMIT + 1)), (
            f"page {last_page:,} starts at {numbers[:1]}, not {after + 1}")
        log(f"page {last_page:,}: the minted cursor gives orders {numbers[0]:,}..{numbers[-1]:,}")

        def page_1() -> float:
            return timed_get(client, {})

        def page_last() -> float:
            return timed_get(client, {"cursor": page_k_cursor})

        for _ in range(5):  # warm up: connections, caches, the first requests' imports
            page_1()
            page_last()
        a, b = alternate(page_1, page_last, pairs, f"page 1 vs page {last_page:,}")
    ratios = [y / x for x, y in zip(a, b, strict=True)]
    ratio = statistics.median(ratios)
    results.add(Row(
        f"HTTP export, page {last_page:,} of {orders:,} orders (limit {PAGE_LIMIT}, JSON), "
        f"median of {pairs} alternated pairs",
        f"{ms(statistics.median(b))} (p90 {ms(quantile(b, 0.9))})",
        f"page 1: {ms(statistics.median(a))} (p90 {ms(quantile(a, 0.9))})",
        f"{ratio:.2f}x (pairs {min(ratios):.2f}..{max(ratios):.2f})",
        f"<= {TARGET_PAGE_RATIO}x", ratio <= TARGET_PAGE_RATIO,
    ))


def timed_get(client: httpx.Client, params: dict[str, str]) -> float:
    started = time.perf_counter()
    response = client.get("/v1/orders/export", params=params)
    response.raise_for_status()
    assert response.content.endswith(b"}")
    return time.perf_counter() - started


# 2. NDJSON throughput against COPY ----------------------------------------------------

COPY_RAW = "COPY (SELECT * FROM orders ORDER BY number) TO STDOUT"
COPY_JSON = "COPY (SELECT row_to_json(o) FROM orders o ORDER BY number) TO STDOUT"


def measure_throughput(database: seed.BenchDatabase, orders: int, pairs: int,
                       results: Results) -> None:
    """`order-service export --format ndjson` against COPY of the read model, alternated."""
    exports, raw, as_json = [], [], []
    for pair in range(1, pairs + 1):
        run = run_export(database, "ndjson")
        assert run.orders == orders, f"exported {run.orders} orders, not {orders}"
        exports.append(run.seconds)
        raw.append(copy_seconds(database, COPY_RAW))
        as_json.append(copy_seconds(database, COPY_JSON))
        log(f"throughput pair {pair}/{pairs}: export {orders / exports[-1]:,.0f}/s "
            f"({run.bytes / MB:,.0f} MB), COPY {orders / raw[-1]:,.0f}/s, "
            f"COPY row_to_json {orders / as_json[-1]:,.0f}/s")
    export_rate = orders / statistics.median(exports)
    raw_rate = orders / statistics.median(raw)
    json_rate = orders / statistics.median(as_json)
    ratio = statistics.median(c / e for e, c in zip(exports, raw, strict=True))
    json_ratio = statistics.median(c / e for e, c in zip(exports, as_json, strict=True))
    results.add(Row(
        f"`order-service export --format ndjson` of {orders:,} orders, orders/s "
        f"(median of {pairs}, whole command incl. start-up)",
        f"{export_rate:,.0f}/s",
        f"ceiling, `{COPY_RAW}`: {raw_rate:,.0f}/s",
        f"{ratio:.3f} of the ceiling",
        f">= {TARGET_ORDERS_PER_SECOND:,}/s", export_rate >= TARGET_ORDERS_PER_SECOND,
    ))
    results.add(Row(
        "  (reference) the database writing the JSON itself",
        f"{export_rate:,.0f}/s",
        f"`{COPY_JSON}`: {json_rate:,.0f}/s",
        f"{json_ratio:.3f} of it",
    ))


def copy_seconds(database: seed.BenchDatabase, statement: str) -> float:
    """Seconds to receive the whole COPY output (every byte read, then dropped)."""
    started = time.perf_counter()
    received = 0
    with (psycopg.connect(database.url) as connection, connection.cursor() as cursor,
          cursor.copy(statement) as copy):
        for block in copy:
            received += len(block)
    assert received > 0
    return time.perf_counter() - started


# 3. Peak memory -----------------------------------------------------------------------

def measure_memory(database: seed.BenchDatabase, orders: int, workdir: Path,
                   results: Results) -> None:
    """Peak RSS of exporting every order, each format in its own child process."""
    # The same command exporting nothing (every order was placed after 2024-01-01):
    # the interpreter, the imports and the engine, which any export pays.
    empty = run_export(database, "ndjson", "--placed-to", "2000-01-01")
    assert empty.orders == 0
    log(f"export of 0 orders: peak RSS {empty.peak_rss / MB:.0f} MB, {empty.seconds:.1f} s")
    for format_name in ("ndjson", "csv"):
        # CSV to a real file (one row per order line, the biggest output), NDJSON to
        # /dev/null through standard output; neither keeps the output in memory.
        out = workdir / f"orders.{format_name}"
        run = run_export(database, format_name, out=out if format_name == "csv" else None)
        assert run.orders == orders, f"exported {run.orders} orders, not {orders}"
        out.unlink(missing_ok=True)
        peak_mb = run.peak_rss / MB
        log(f"export of {orders:,} orders as {format_name}: peak RSS {peak_mb:.0f} MB, "
            f"{run.seconds:.0f} s, {orders / run.seconds:,.0f} orders/s")
        results.add(Row(
            f"peak RSS of `order-service export --format {format_name}` of {orders:,} orders",
            f"{peak_mb:.0f} MB ({orders / run.seconds:,.0f} orders/s, "
            f"{run.bytes / MB:,.0f} MB out)",
            f"same command exporting 0 orders: {empty.peak_rss / MB:.0f} MB",
            f"{run.peak_rss / empty.peak_rss:.2f}x",
            f"< {TARGET_PEAK_RSS_MB} MB", peak_mb < TARGET_PEAK_RSS_MB,
        ))


# Running the command ------------------------------------------------------------------

@dataclass(frozen=True)
class ExportRun:
    orders: int
    bytes: int
    seconds: float
    peak_rss: int  # bytes


def run_export(database: seed.BenchDatabase, format_name: str, *filters: str,
               out: Path | None = None) -> ExportRun:
    """`order-service export` in a child of its own; its wall time and peak RSS.

    Without `out` the export goes to standard output, which is /dev/null. (Never pass
    `--out /dev/null`: the command writes FILE.partial and renames it over FILE.)
    """
    command = [str(seed.COMMAND), "export", "--format", format_name,
               "--out", "-" if out is None else str(out), *filters]
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=seed.service_env(database),
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        # Not wait4's ru_maxrss: Linux carries the parent's RSS at fork into the
        # child's, so a big parent (the harness) would be measured instead. VmHWM is the
        # peak of the exec'd program's own memory; it only grows, so the last reading
        # before the child exits is its peak (short of growth in the last poll interval).
        peak_kb = 0
        while process.poll() is None:
            peak_kb = max(peak_kb, _vm_hwm_kb(process.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        stderr.seek(0)
        output = stderr.read()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output.decode(errors='replace')}")
    found = EXPORTED.findall(output)
    assert found, f"no 'exported N orders' in the output:\n{output[-2000:]!r}"
    orders, written = (int(x) for x in found[-1])
    return ExportRun(orders=orders, bytes=written, seconds=seconds, peak_rss=peak_kb * 1024)


def _vm_hwm_kb(pid: int) -> int:
    """A process's peak resident set so far (VmHWM, kB); 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class Server:
    """`order-service serve` (one worker) on a free port, with an httpx client."""

    def __init__(self, database: seed.BenchDatabase, workdir: Path) -> None:
        self.database = database
        self.workdir = workdir
        self.port = free_port()
        self.log = workdir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60.0)

    def __enter__(self) -> Server:
        env = seed.service_env(self.database, cursor_secret=CURSOR_SECRET)
        # Every /v1 route needs a key: make one the way an operator would.
        key = subprocess.run(
            [str(seed.COMMAND), "api-key", "create", "--role", "merchant",
             "--name", f"bench-{self.port}"],
            env=env, capture_output=True, text=True, check=True,
        ).stdout.strip()
        self.client.headers["Authorization"] = f"Bearer {key}"
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [str(seed.COMMAND), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", "1"],
                cwd=self.workdir, env=env, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"order-service serve exited:\n{self.log.read_text()}")
            try:
                if self.client.get("/health/ready", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"order-service serve not ready in 30 s:\n{self.log.read_text()}")

    def __exit__(self, *_: object) -> None:
        self.client.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# Helpers ------------------------------------------------------------------------------

def alternate(a: Callable[[], float], b: Callable[[], float], pairs: int, label: str
              ) -> tuple[list[float], list[float]]:
    """Run a, b, a, b, ... `pairs` times; the timings of each."""
    times_a, times_b = [], []
    for pair in range(1, pairs + 1):
        times_a.append(a())
        times_b.append(b())
        if pair % 10 == 0 or pair == pairs:
            log(f"{label}: {pair}/{pairs} pairs")
    return times_a, times_b


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def log(message: str) -> None:
    print(f"[bench-export {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def render(results: Results, orders: int, memory_orders: int, elapsed: float,
           admin_url: str) -> str:
    """The table as markdown, with what it was measured on."""
    lines = [
        "# Export benchmark (bench/export.py)",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- commit: {git_commit()}",
        f"- CPU: {cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"PostgreSQL {server_version(admin_url)}",
        f"- store: {orders:,} orders (pages, throughput), {memory_orders:,} (memory); "
        f"seeded directly into the read model; bench took {elapsed / 60:.1f} min",
        "",
        "| figure | value | baseline / ceiling (same run) | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for row in results.rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(f"| {row.figure} | {row.value} | {row.baseline} | {row.ratio} | "
                     f"{row.target} | {met} |")
    lines += ["", *results.notes]
    return "\n".join(lines).rstrip() + "\n"


def git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "migrations"],
                               cwd=HERE.parent, capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" (src/ or migrations/ modified)" if dirty else "")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def server_version(admin_url: str) -> str:
    try:
        with psycopg.connect(admin_url) as connection:
            row = connection.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return "unknown"
    return str(row[0]) if row else "unknown"


if __name__ == "__main__":
    sys.exit(main())
