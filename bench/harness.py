"""Flash-sale benchmark: order-service against what a typical team ships, same machine.

    make bench                                  # the whole harness (under 10 min on 2 cores)
    make bench BENCH_ARGS=--quick               # a ~2-minute smoke run
    .venv/bin/python bench/harness.py --help    # --keep, --admin-url, --results ...

Every figure sits next to a yardstick measured in the same run, on the same machine,
and is judged by their ratio. The host's speed drifts (2 shared cores, PostgreSQL on
them too), so each figure and its yardstick run in alternating short runs, A B A B ...,
and the ratio quoted is the median of the per-pair ratios.

1. Place order: wrk, 32 connections, fresh orders of 1-3 lines over 1,000 SKUs, against
   `order-service serve --workers 2` and against the plain FastAPI + SQLAlchemy-async
   app (bench/plain_app.py) served the same way, under the same wrk script; meanwhile
   pg_stat_activity is sampled (bench/waits.py). Then pgbench (16 clients, -M prepared)
   runs the service's own place-order SQL (captured from the live app by bench/
   sqlcheck.py, made into a script by bench/scripts.py) against a minimal 3-statement
   placement (bench/pgbench/minimal_place_order.sql) on the plain app's schema.
2. Pay, ship, cancel: each order once (fast-seeded pending or paid orders), against the
   plain app's single conditional UPDATE + event INSERT; pgbench of the service's SQL
   for reference.
3. Reads: GET /v1/orders/{id} and GET /v1/orders?limit=50 against the plain app's no-op
   route; pgbench of the service's GET SQL for reference.
4. Round trips to PostgreSQL per request, as the database saw them (sqlcheck's proxy).
5. Worker peak RSS (VmHWM) after the load, next to the plain app's workers.
6. `order-service rebuild-projections` over 1,000,000 generated events, PostgreSQL and
   SQLite, next to reading every event and writing every order row with no Python in
   between.
7. Export (bench/export.py's measurements) of the 500,000 orders the rebuild made.
8. Consistency after all the load: stock, order numbers, events against read models;
   and the plain app's own (it refuses what it cannot sell; its stock and events add up).

PostgreSQL databases are created fresh (bench_<run>_*) and dropped at the end.
"""

# ruff: noqa: S311, S603, PLR0917 (made-up orders; runs order-service, wrk, pgbench, apt-get, git)
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import export
import history
import httpx
import plain_app
import plain_store
import psycopg
import scripts
import seed
import sqlcheck
import waits
from export import Row
from tqdm import tqdm

from order_service.adapters.sql.async_pool import session_settings
from order_service.adapters.sql.engine import Timeouts

HERE = Path(__file__).resolve().parent
RESULTS_FILE = HERE / "RESULTS.md"
COMMAND = seed.COMMAND
PYTHON = Path(sys.executable)

SKU_FIRST = 100_001
SKU_COUNT = 1_000
SKU_LAST = SKU_FIRST + SKU_COUNT - 1
STOCK = 1_000_000  # per SKU: a flash sale of this length never runs out
KEY_NAME = "bench"
CONNECTIONS = 32
WRK_THREADS = 2
WRK_TIMEOUT = "10s"
PGBENCH_CLIENTS = 16
PGBENCH_THREADS = 2

# The targets: issue 13 for the load, issue 6 for memory, rebuild and export.
TARGET_PLACE_VS_PLAIN = 2.5
TARGET_PLACE_P99_MS = 60.0
TARGET_TRANSITION_VS_PLAIN = 2.5
TARGET_TRANSITION_P99_MS = 40.0
TARGET_GET_VS_NOOP = 0.40
TARGET_GET_P99_MS = 20.0
TARGET_LIST_VS_NOOP = 0.25
TARGET_LOCK_WAIT_SHARE = 0.10
TARGET_SQL_VS_MINIMAL = 0.40
TARGET_REBUILD_PER_SECOND = 100_000
TARGET_EXPORT_PER_SECOND = export.TARGET_ORDERS_PER_SECOND
TARGET_EXPORT_RSS_MB = export.TARGET_PEAK_RSS_MB
TARGET_PAGE_RATIO = export.TARGET_PAGE_RATIO
TARGET_WORKER_RSS_MB = 150
MB = 1024 * 1024


@dataclass(frozen=True)
class Profile:
    """Run lengths (seconds), pair counts and sizes of one kind of run."""

    name: str
    warmup: float
    place_pairs: int
    place_seconds: float  # wrk, per run and side
    place_pgbench_seconds: float  # pgbench, per run and side
    transition_pairs: int
    transition_seconds: float
    transition_pgbench_seconds: float
    read_pairs: int
    read_seconds: float
    read_pgbench_seconds: float
    service_pool: int  # orders per transition and per run for wrk, service
    plain_pool: int  # the same for the plain app
    pgbench_per_client: int  # orders per pgbench client and run
    pgbench_reads: int  # orders in the pgbench database that GET reads
    rebuild_orders: int
    rebuild_events: int
    page_pairs: int
    export_pairs: int

    def describe(self) -> str:
        return (
            f"place order {self.place_pairs} x (wrk {self.place_seconds:g} s service + "
            f"{self.place_seconds:g} s plain app + pgbench {self.place_pgbench_seconds:g} s "
            f"service SQL + {self.place_pgbench_seconds:g} s minimal) after a "
            f"{self.warmup:g} s warm-up of each; pay, ship, cancel {self.transition_pairs} x "
            f"(wrk {self.transition_seconds:g} s service + {self.transition_seconds:g} s plain "
            f"+ pgbench {self.transition_pgbench_seconds:g} s) each; GET order "
            f"{self.read_pairs} x (wrk {self.read_seconds:g} s + no-op {self.read_seconds:g} s "
            f"+ pgbench {self.read_pgbench_seconds:g} s); list page {self.read_pairs} x (wrk "
            f"{self.read_seconds:g} s + no-op {self.read_seconds:g} s); rebuild "
            f"{self.rebuild_events:,} events ({self.rebuild_orders:,} orders) once per "
            f"database, then its ceiling; export of those orders {self.export_pairs} x "
            f"(command + COPY), pages {self.page_pairs} pairs"
        )


FULL = Profile(
    name="full", warmup=2, place_pairs=3, place_seconds=5, place_pgbench_seconds=4,
    transition_pairs=2, transition_seconds=5, transition_pgbench_seconds=3,
    read_pairs=2, read_seconds=5, read_pgbench_seconds=3,
    service_pool=12_000, plain_pool=20_000, pgbench_per_client=2_500, pgbench_reads=20_000,
    rebuild_orders=500_000, rebuild_events=1_000_000, page_pairs=30, export_pairs=1,
)
QUICK = Profile(
    name="quick", warmup=1, place_pairs=1, place_seconds=3, place_pgbench_seconds=2,
    transition_pairs=1, transition_seconds=3, transition_pgbench_seconds=2,
    read_pairs=1, read_seconds=3, read_pgbench_seconds=2,
    service_pool=8_000, plain_pool=15_000, pgbench_per_client=1_000, pgbench_reads=5_000,
    rebuild_orders=50_000, rebuild_events=100_000, page_pairs=10, export_pairs=1,
)


# Results ------------------------------------------------------------------------------

class Results(export.Results):
    """export's results table, each row and note also logged as it comes."""

    def add(self, row: Row) -> None:
        super().add(row)
        verdict = "" if row.met is None else (" [met]" if row.met else " [NOT met]")
        log(f"{row.figure}: {row.value} | {row.baseline} | {row.ratio}{verdict}")

    def note(self, text: str) -> None:
        self.notes.append(text)
        log(f"note: {text}")


STARTED = time.monotonic()


def log(message: str) -> None:
    elapsed = time.monotonic() - STARTED
    print(f"[bench {int(elapsed // 60):02d}:{int(elapsed % 60):02d}] {message}",
          file=sys.stderr, flush=True)


# Tools --------------------------------------------------------------------------------

def load_average() -> str:
    """The 1, 5 and 15 minute load averages: how busy the machine was meanwhile."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def ensure_tools() -> None:
    """wrk and pgbench, installed with apt-get if missing and possible."""
    wanted = {"wrk": "wrk", "pgbench": "postgresql-contrib"}
    for tool, package in wanted.items():
        if _works(tool):
            continue
        log(f"{tool} is missing: apt-get install -y {package}")
        installed = False
        if shutil.which("apt-get") and os.geteuid() == 0:
            for command in (["apt-get", "install", "-y", package],
                            ["apt-get", "update"], ["apt-get", "install", "-y", package]):
                done = subprocess.run(command, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.STDOUT, check=False)
                if command[1] == "install" and done.returncode == 0:
                    installed = _works(tool)
                    if installed:
                        break
        if not installed:
            sys.exit(f"bench: {tool} is needed and could not be installed here; install the "
                     f"package {package!r} (apt-get install -y {package}) and run again")


def _works(tool: str) -> bool:
    if shutil.which(tool) is None:
        return False
    probe = subprocess.run([tool, "--version"], capture_output=True, check=False)
    return probe.returncode in (0, 1) and bool(probe.stdout or probe.stderr)


# Databases and keys -------------------------------------------------------------------

@dataclass
class Store:
    """A bench database with its merchant key."""

    database: seed.BenchDatabase
    token: str = ""
    key_id: str = ""

    @property
    def url(self) -> str:
        return self.database.url

    def env(self, **settings: str) -> dict[str, str]:
        return seed.service_env(self.database, **settings)

    def make_key(self) -> None:
        self.token = subprocess.run(
            [str(COMMAND), "api-key", "create", "--role", "merchant", "--name", KEY_NAME],
            env=self.env(), capture_output=True, text=True, check=True).stdout.strip()
        with psycopg.connect(self.url) as connection:
            row = connection.execute("SELECT id FROM api_keys WHERE name = %s AND "
                                     "revoked_at IS NULL", (KEY_NAME,)).fetchone()
        assert row is not None
        self.key_id = str(row[0])

    def metadata(self, seed_value: int) -> history.Metadata:
        return history.Metadata(random.Random(seed_value), KEY_NAME, self.key_id)


def products() -> list[history.Product]:
    return seed.catalogue_products(SKU_COUNT, lambda index: str(SKU_FIRST + index))


# Servers ------------------------------------------------------------------------------

class Server:
    """A uvicorn supervisor (order-service serve or the no-op app) and its workers."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], port: int,
                 workdir: Path, ready_path: str, workers: int = 2) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.port = port
        self.log = workdir / f"{name}.log"
        self.ready_path = ready_path
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, headers: dict[str, str] | None = None) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(self.command, env=self.env, stdout=output,
                                            stderr=subprocess.STDOUT, cwd=self.log.parent,
                                            start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            started = self.log.read_text(errors="replace").count("Application startup complete")
            if started >= self.workers:
                try:
                    response = httpx.get(self.url + self.ready_path, headers=headers,
                                         timeout=2)
                    if response.status_code == 200:
                        return
                except httpx.TransportError:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready in 60 s:\n{self.log.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        """The supervisor's children that run a worker (multiprocessing's spawn_main)."""
        assert self.process is not None
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid and b"spawn_main" in cmdline:
                found.append(int(entry.name))
        return sorted(found)

    def worker_cpu_seconds(self) -> float:
        """User + system CPU time of the workers so far."""
        ticks = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def worker_peak_rss(self) -> list[int]:
        """VmHWM of each worker, in bytes."""
        peaks = []
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) * 1024)
        return peaks

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def free_port() -> int:
    return export.free_port()


# Load: wrk and pgbench ----------------------------------------------------------------

@dataclass(frozen=True)
class WrkRun:
    requests: int
    seconds: float
    errors: int
    p50: float  # seconds
    p95: float
    p99: float
    used: int
    exhausted: int
    cpu_seconds: float = 0.0  # user + system time of the server's workers meanwhile

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_per_request(self) -> float:
        return self.cpu_seconds / self.requests if self.requests else 0.0


def wrk(url: str, script: str, seconds: float, *args: str) -> WrkRun:
    """wrk with one of bench/lua's scripts; its done() prints the figures as JSON."""
    command = ["wrk", "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds:g}s",
               "--timeout", WRK_TIMEOUT, "-s", f"lua/{script}", url, "--", *args]
    done = subprocess.run(command, cwd=HERE, capture_output=True, text=True, check=False,
                          timeout=seconds + 60)
    found = re.search(r"^BENCH_RESULT (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = json.loads(found.group(1))
    errors = sum(result[k] for k in ("connect_errors", "read_errors", "write_errors",
                                     "status_errors", "timeouts"))
    return WrkRun(requests=result["requests"], seconds=result["duration_us"] / 1e6,
                  errors=errors, p50=result["p50_us"] / 1e6, p95=result["p95_us"] / 1e6,
                  p99=result["p99_us"] / 1e6, used=result["used"],
                  exhausted=result["exhausted"])


@dataclass(frozen=True)
class PgbenchRun:
    tps: float
    transactions: int
    failed: int
    p50: float
    p95: float
    p99: float


def pgbench(url: str, script: Path, seconds: float, variables: dict[str, object],
            workdir: Path, session: dict[str, str] | None = None) -> PgbenchRun:
    """pgbench -M prepared, 16 clients, one script on the database of `url`, each
    connection with the `session` settings; latencies from its per-transaction log."""
    prefix = workdir / f"pgbench-{uuid.uuid4().hex[:8]}"
    command = ["pgbench", "-n", "-M", "prepared", "-c", str(PGBENCH_CLIENTS),
               "-j", str(PGBENCH_THREADS), "-T", f"{max(1, round(seconds))}",
               "-f", str(script), "-l", f"--log-prefix={prefix}"]
    for name, value in variables.items():
        command += ["-D", f"{name}={value}"]
    command.append(url)
    options = " ".join(f"-c {name}={value}" for name, value in (session or {}).items())
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          timeout=seconds + 60, env={**os.environ, "PGOPTIONS": options})
    latencies: list[float] = []
    for log_file in workdir.glob(f"{prefix.name}*"):
        for line in log_file.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[2].isdigit():
                latencies.append(int(parts[2]) / 1e6)
        log_file.unlink()
    tps = re.search(r"^tps = ([\d.]+)", done.stdout, re.MULTILINE)
    processed = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    if done.returncode != 0 or tps is None or processed is None or not latencies:
        # Sixteen clients repeat the same error: the first few distinct ones say it all.
        errors = dict.fromkeys(found.group(1).strip() for found in
                               re.finditer(r"ERROR:(.*)", done.stderr))
        raise RuntimeError(f"pgbench {script.name} failed ({done.returncode}): "
                           + " / ".join(list(errors)[:3]) + f"\n{done.stdout[-2000:]}")
    return PgbenchRun(tps=float(tps.group(1)), transactions=int(processed.group(1)),
                      failed=int(failed.group(1)) if failed else 0,
                      p50=quantile(latencies, 0.50), p95=quantile(latencies, 0.95),
                      p99=quantile(latencies, 0.99))


def pgbench_variables() -> dict[str, object]:
    """The -D variables every script shares (the SKU range), and the real-sized
    documents the minimal placement inserts."""
    told = seed.story(random.Random(11), products(), 1, datetime.now(UTC), "pending_payment")
    placed = history.order_events(told, history.Metadata(random.Random(3), KEY_NAME,
                                                         str(uuid.uuid4())))[0].data
    return {
        "sku_first": SKU_FIRST, "sku_last": SKU_LAST,
        "customer_json": json.dumps(told.customer), "lines_json": json.dumps(told.lines),
        "address": json.dumps(told.shipping_address), "payment_method": told.payment_method,
        "shipping_code": "standard", "subtotal": told.subtotal, "shipping": told.shipping,
        "tax": told.tax, "total": told.total, "placed_data": json.dumps(placed),
    }


def alternate(pairs: int, label: str, *runs: Callable[[int], Any]) -> list[list[Any]]:
    """Run each of `runs` in turn, `pairs` times (A B A B ...); the results of each."""
    results: list[list[Any]] = [[] for _ in runs]
    for pair in range(pairs):
        for index, run in enumerate(runs):
            results[index].append(run(pair))
        log(f"{label}: pair {pair + 1}/{pairs}: " + ", ".join(
            _short(r[-1]) for r in results))
    return results


def _short(result: Any) -> str:
    if isinstance(result, WrkRun):
        return f"{result.rate:,.0f} req/s (p99 {ms(result.p99)}, {result.errors} errors)"
    if isinstance(result, PgbenchRun):
        return f"pgbench {result.tps:,.0f} tps (p99 {ms(result.p99)})"
    return "pgbench failed" if result is None else str(result)


# The plain app's bare placement (bench/plain_app.py), the simplest design on this box.
BARE_PLACE_PATH = "/bare/v1/orders"
BARE_GAP_FREE_PLACE_PATH = "/bare-gap-free/v1/orders"


def median_ratio(values: list[float], ceilings: list[float]) -> tuple[float, float, float]:
    ratios = [v / c for v, c in zip(values, ceilings, strict=True)]
    return statistics.median(ratios), min(ratios), max(ratios)


def percent_text(ratio: tuple[float, float, float], pairs: int) -> str:
    middle, low, high = ratio
    spread = f" (pairs {low:.0%}..{high:.0%})" if pairs > 1 else ""
    return f"{middle:.0%}{spread}"


def times_text(ratio: tuple[float, float, float], pairs: int) -> str:
    middle, low, high = ratio
    spread = f" (pairs {low:.2f}x..{high:.2f}x)" if pairs > 1 else ""
    return f"{middle:.2f}x{spread}"


def latencies(runs: list[WrkRun]) -> str:
    """p50 / p95 / p99 (medians of the runs), and the spread of p99 over the runs."""
    p50, p95, p99 = (statistics.median(getattr(r, q) for r in runs)
                     for q in ("p50", "p95", "p99"))
    spread = (f" (p99 of runs {ms(min(r.p99 for r in runs))}..{ms(max(r.p99 for r in runs))})"
              if len(runs) > 1 else "")
    return f"{ms(p50)} / {ms(p95)} / {ms(p99)}{spread}"


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# The run ------------------------------------------------------------------------------

@dataclass
class Plain:
    """The plain app's database, its key, and a second database for its pgbench twin."""

    database: seed.BenchDatabase
    minimal: seed.BenchDatabase
    token: str

    @property
    def url(self) -> str:
        return self.database.url

    def initial_stock(self) -> dict[str, int]:
        stock = {sku: STOCK for sku, _, _ in products()}
        return {**stock, plain_store.REFUSAL_SKU: plain_store.REFUSAL_STOCK}


@dataclass(frozen=True)
class Side:
    """One HTTP server under load: the service, or the plain app."""

    server: Server
    token: str
    sampler: waits.Sampler | None = None

    def wrk(self, script: str, seconds: float, *args: str) -> WrkRun:
        """wrk against this server, its database sampled meanwhile (if it has a sampler)."""
        if self.sampler is not None:
            self.sampler.sampling(True)
        cpu = self.server.worker_cpu_seconds()
        try:
            run = wrk(self.server.url, script, seconds, self.token, *args)
        finally:
            if self.sampler is not None:
                self.sampler.sampling(False)
        return replace(run, cpu_seconds=self.server.worker_cpu_seconds() - cpu)


@dataclass
class Bench:
    profile: Profile
    admin_url: str
    workdir: Path
    results: Results = field(default_factory=Results)
    databases: list[seed.BenchDatabase] = field(default_factory=list)
    servers: list[Server] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    load_at_start: str = field(default_factory=load_average)
    seeded_last_position: int = 0
    scripts: dict[str, tuple[Path, dict[str, str]]] = field(default_factory=dict)
    failed_scripts: set[str] = field(default_factory=set)
    ceiling_url: str = ""

    # Setup ----------------------------------------------------------------------------

    def database(self, role: str, template: str | None = None) -> seed.BenchDatabase:
        made = seed.create_database(self.admin_url, prefix=f"bench_{self.run_id}_{role}",
                                    template=template)
        self.databases.append(made)
        return made

    def set_up(self) -> tuple[Store, Store, Plain, seed.BenchDatabase]:
        log("creating and migrating the databases")
        template = self.database("template")
        seed.migrate(template)
        service = Store(self.database("service", template.name))
        ceiling = Store(self.database("pgbench", template.name))
        rebuilt = self.database("rebuild", template.name)
        seed.drop_database(template, self.admin_url)
        self.databases.remove(template)
        catalogue = products()
        for store in (service, ceiling):
            store.make_key()
            history.seed_catalogue(store.url, catalogue, STOCK, store.metadata(1))
        plain = Plain(self.database("plain"), self.database("minimal"), plain_store.new_key())
        for database in (plain.database, plain.minimal):
            plain_store.create_schema(database.url)
            plain_store.seed(database.url, catalogue, STOCK, plain.token)
        return service, ceiling, plain, rebuilt

    def seed_pools(self, service: Store, ceiling: Store, plain: Plain
                   ) -> tuple[dict[str, list[list[str]]], dict[str, list[list[str]]]]:
        """Orders for the transitions: per action, one id list per wrk run, for the
        service and for the plain app; in the pgbench database, slices per client and
        run, numbered from 1."""
        p = self.profile
        catalogue = products()
        rng = random.Random(5)
        runs: dict[str, list[list[str]]] = {}
        plain_runs: dict[str, list[list[str]]] = {}
        plan = (("pay", "pending_payment"), ("ship", "paid"), ("cancel", "pending_payment"))
        total = 3 * p.transition_pairs * p.service_pool
        log(f"seeding {total:,} orders (with their events) for pay, ship and cancel")
        for action, status in plan:
            runs[action] = []
            for _ in range(p.transition_pairs):
                pool = history.seed_pool(service.url, catalogue, p.service_pool, status,
                                         service.metadata(rng.randrange(10**9)), rng)
                runs[action].append([str(order_id) for order_id, _ in pool])
        log(f"seeding {3 * p.transition_pairs * p.plain_pool:,} orders into the plain app's "
            "database")
        skus = [sku for sku, _, _ in catalogue]
        for action, status in plan:
            plain_runs[action] = [plain_store.seed_pool(plain.url, skus, p.plain_pool, status,
                                                        rng)
                                  for _ in range(p.transition_pairs)]
        per_run = PGBENCH_CLIENTS * p.pgbench_per_client
        total = 3 * p.transition_pairs * per_run + p.pgbench_reads
        log(f"seeding {total:,} orders into the pgbench database")
        self.pgbench_bases: dict[str, int] = {}
        for action, status in plan:
            pool = history.seed_pool(ceiling.url, catalogue, p.transition_pairs * per_run,
                                     status, ceiling.metadata(rng.randrange(10**9)), rng,
                                     ids_from_numbers=True)
            self.pgbench_bases[action] = pool[0][1]
        history.seed_pool(ceiling.url, catalogue, p.pgbench_reads, "paid",
                          ceiling.metadata(7), rng, ids_from_numbers=True)
        self.pgbench_orders = 3 * p.transition_pairs * per_run + p.pgbench_reads
        for url in (service.url, ceiling.url, plain.url, plain.minimal.url):
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute("VACUUM ANALYZE")
                connection.execute("CHECKPOINT")
        with psycopg.connect(service.url) as connection:
            row = connection.execute("SELECT max(position) FROM events").fetchone()
        self.seeded_last_position = int(row[0]) if row and row[0] else 0
        return runs, plain_runs

    def capture_sql(self, ceiling: Store) -> None:
        """The pgbench scripts of this run, made from what the service sends
        (bench/sqlcheck.py, on the pgbench database), and its round trips per request."""
        log("capturing what the service sends to PostgreSQL; making the pgbench scripts")
        self.ceiling_url = ceiling.url
        try:
            commands = sqlcheck.capture(ceiling.url)
            generated = scripts.generate(commands, ceiling.url)
        # Whatever went wrong, the HTTP figures are still worth having; the note says why
        # the pgbench ones are missing.
        except Exception as error:
            log(f"capturing the service's SQL failed: {error!r}")
            self.results.note(f"bench/sqlcheck.py could not capture what the service sends "
                              f"({error!r}); no pgbench figures of its SQL in this run")
            return
        directory = self.workdir / "pgbench"
        directory.mkdir()
        for name, script in generated.items():
            path = directory / f"{name}.sql"
            path.write_text(script.text)
            self.scripts[name] = (path, script.variables)
        log(sqlcheck.report(commands, print_all=False))
        occasional = sorted({text for command in commands for text in command.occasional})
        if occasional:
            self.results.note("sent by the service now and then rather than per request "
                              "(left out of the scripts and the round trips): "
                              + "; ".join(f"`{text[:160]}`" for text in occasional))
        for name, changes in sqlcheck.differences(
                {n: scripts.Script(p.read_text()) for n, (p, _) in self.scripts.items()}
        ).items():
            log(f"bench/pgbench/{name}.sql differs from what the service sends now:\n"
                + "\n".join(f"  {change}" for change in changes))
            changed = sum(change.startswith("+") for change in changes)
            self.results.note(
                f"bench/pgbench/{name}.sql (the committed copy) differs from what the service "
                f"sends now: {changed} statements new or changed, "
                f"{len(changes) - changed} gone or changed; this run used what it sends. "
                "`.venv/bin/python bench/sqlcheck.py` lists them, `--write` refreshes the "
                "copies")
        self.report_round_trips(commands)

    # Load -----------------------------------------------------------------------------

    def start_servers(self, service: Store, plain: Plain) -> tuple[Server, Server]:
        port, plain_port = free_port(), free_port()
        app = Server("order-service", [str(COMMAND), "serve", "--host", "127.0.0.1",
                                       "--port", str(port), "--workers", "2"],
                     service.env(), port, self.workdir, "/health/ready")
        yardstick = Server("plain-app", [str(PYTHON), str(HERE / "plain_app.py"), "--port",
                                         str(plain_port), "--workers", "2"],
                           {**service.env(), plain_app.DATABASE_URL_VARIABLE: plain.url},
                           plain_port, self.workdir, "/noop")
        self.servers += [app, yardstick]
        log("starting `order-service serve --workers 2` and the plain app (2 workers)")
        app.start()
        yardstick.start()
        return app, yardstick

    def load(self, service: Store, plain: Plain,
             pools: tuple[dict[str, list[list[str]]], dict[str, list[list[str]]]]) -> None:
        app, yardstick = self.start_servers(service, plain)
        self.api_samples(app, {"Authorization": f"Bearer {service.token}"})
        problems = plain_store.refusal_check(yardstick.url, plain.token, plain.url)
        self.results.add(Row(
            "plain app: takes stock and refuses an order it cannot fill (5 left: 3 taken, "
            "3 refused, 1 + 3 refused whole, 2 taken, 1 refused; an unknown key 401)",
            "; ".join(problems) or "as expected", "", "", "all", not problems))
        variables = pgbench_variables()
        with waits.Sampler(self.admin_url, service.database.name) as service_waits, \
                waits.Sampler(self.admin_url, plain.database.name) as plain_waits, \
                waits.Sampler(self.admin_url, plain.database.name) as gap_free_waits:
            self.place(Side(app, service.token, service_waits),
                       Side(yardstick, plain.token, plain_waits), plain, variables,
                       gap_free_waits)
        for action in ("pay", "ship", "cancel"):
            self.transition(action, Side(app, service.token), Side(yardstick, plain.token),
                            variables, pools[0][action], pools[1][action])
        self.reads(Side(app, service.token), Side(yardstick, plain.token), variables, pools)
        self.memory(app, yardstick)
        app.stop()
        yardstick.stop()
        for server in (app, yardstick):
            # JSON lines say "level": "error"; text lines say ERROR.
            errors = sum('"level": "error"' in line or "ERROR" in line for line in
                         server.log.read_text(errors="replace").splitlines())
            if errors:
                self.results.note(f"{server.name} logged {errors} ERROR lines under load "
                                  f"(see {server.log.name} with --keep)")

    def place(self, service: Side, plain: Side, plain_db: Plain, variables: dict[str, object],
              gap_free_waits: waits.Sampler) -> None:
        """Place order: wrk on both apps, pgbench on both SQLs, in turn; waits sampled
        (the simplest gap-free placement's apart, as the yardstick of the lock waits)."""
        p = self.profile
        nonce = self.run_id
        sku_range = (str(SKU_FIRST), str(SKU_LAST))
        minimal_sql = HERE / "pgbench" / "minimal_place_order.sql"
        log(f"warming up: place order {p.warmup:g} s on each app, each pgbench script")
        Side(service.server, service.token).wrk("place_order.lua", p.warmup, *sku_range,
                                                f"{nonce}w")
        Side(plain.server, plain.token).wrk("place_order.lua", p.warmup, *sku_range,
                                            f"{nonce}w")
        self.service_pgbench("place_order", p.warmup, variables)
        pgbench(plain_db.minimal.url, minimal_sql, p.warmup, variables, self.workdir)
        for path in (BARE_PLACE_PATH, BARE_GAP_FREE_PLACE_PATH):
            Side(plain.server, plain.token).wrk("place_order.lua", p.warmup, *sku_range,
                                                f"{nonce}w{path[:5]}", path)
        service_runs, plain_runs, bare_runs, gap_free_runs, sql_runs, minimal_runs = alternate(
            p.place_pairs, "place order",
            lambda i: service.wrk("place_order.lua", p.place_seconds, *sku_range,
                                  f"{nonce}p{i}"),
            lambda i: plain.wrk("place_order.lua", p.place_seconds, *sku_range,
                                f"{nonce}p{i}"),
            lambda i: Side(plain.server, plain.token).wrk(
                "place_order.lua", p.place_seconds, *sku_range, f"{nonce}b{i}",
                BARE_PLACE_PATH),
            lambda i: Side(plain.server, plain.token, gap_free_waits).wrk(
                "place_order.lua", p.place_seconds, *sku_range, f"{nonce}g{i}",
                BARE_GAP_FREE_PLACE_PATH),
            lambda _: self.service_pgbench("place_order", p.place_pgbench_seconds, variables),
            lambda _: pgbench(plain_db.minimal.url, minimal_sql, p.place_pgbench_seconds,
                              variables, self.workdir))
        assert service.sampler is not None
        assert plain.sampler is not None
        self.report_place(service_runs, plain_runs)
        self.report_bare_place(service_runs, plain_runs, bare_runs, gap_free_runs)
        self.report_waits(service.sampler, plain.sampler, gap_free_waits)
        self.report_sql(sql_runs, minimal_runs)

    def report_bare_place(self, runs: list[WrkRun], plains: list[WrkRun],
                          bares: list[WrkRun], gap_free: list[WrkRun]) -> None:
        """The plain app's bare placement against the plain app, and the service against
        it: what the simplest design does on this box, in the same run."""
        p = self.profile
        errors = sum(b.errors for b in bares)
        of_plain = median_ratio([b.rate for b in bares], [q.rate for q in plains])
        self.results.add(Row(
            f"  (reference) place order: the simplest placement (plain app: no middleware "
            f"or pydantic, the key checked in memory, one asyncpg statement in autocommit; "
            f"{p.place_pairs} x {p.place_seconds:g} s)",
            f"{statistics.median(b.rate for b in bares):,.0f}/s (p99 "
            f"{ms(statistics.median(b.p99 for b in bares))}, {errors} errors); against "
            f"the plain app: {times_text(of_plain, len(bares))}",
            "the service against it",
            times_text(median_ratio([r.rate for r in runs], [b.rate for b in bares]),
                       len(runs))))
        self.report_cpu("place order against the simplest placement", runs, bares)
        of_plain = median_ratio([g.rate for g in gap_free], [q.rate for q in plains])
        self.results.add(Row(
            "  (reference) the same simplest placement, numbered gap-free from a one-row "
            "counter as the service numbers (held from its UPDATE to COMMIT)",
            f"{statistics.median(g.rate for g in gap_free):,.0f}/s (p99 "
            f"{ms(statistics.median(g.p99 for g in gap_free))}, "
            f"{sum(g.errors for g in gap_free)} errors); against the plain app: "
            f"{times_text(of_plain, len(gap_free))}",
            "the service against it",
            times_text(median_ratio([r.rate for r in runs], [g.rate for g in gap_free]),
                       len(runs))))

    def report_sql(self, sql_runs: list[PgbenchRun | None], minimal_runs: list[PgbenchRun]
                   ) -> None:
        p = self.profile
        figure = (f"pgbench, {PGBENCH_CLIENTS} clients, -M prepared: the service's place-order "
                  f"SQL (as captured in this run), transactions/s ({p.place_pairs} x "
                  f"{p.place_pgbench_seconds:g} s)")
        minimal = ("minimal 3-statement placement (stock UPDATE ... WHERE available >= q, "
                   f"read-model INSERT, event INSERT): "
                   f"{statistics.median(m.tps for m in minimal_runs):,.0f}/s (p99 "
                   f"{ms(statistics.median(m.p99 for m in minimal_runs))})")
        measured = [r for r in sql_runs if r is not None]
        if len(measured) < len(sql_runs):
            self.results.add(Row(figure, "not measured (see the notes)", minimal, "",
                                 f">= {TARGET_SQL_VS_MINIMAL:.0%}", False))
            return
        ratio = median_ratio([r.tps for r in measured], [m.tps for m in minimal_runs])
        failed = sum(r.failed for r in measured + minimal_runs)
        self.results.add(Row(
            figure,
            f"{statistics.median(r.tps for r in measured):,.0f}/s (p99 "
            f"{ms(statistics.median(r.p99 for r in measured))})",
            minimal, percent_text(ratio, len(measured)), f">= {TARGET_SQL_VS_MINIMAL:.0%}"
            + (f"; {failed} failed transactions" if failed else ""),
            ratio[0] >= TARGET_SQL_VS_MINIMAL and not failed))

    def transition(self, action: str, service: Side, plain: Side,
                   variables: dict[str, object], service_ids: list[list[str]],
                   plain_ids: list[list[str]]) -> None:
        """Pay, ship or cancel, each order once: the service against the plain app's
        single conditional UPDATE + event INSERT; pgbench of the service's SQL for
        reference."""
        p = self.profile
        per_client = p.pgbench_per_client

        def run(side: Side, ids: list[list[str]], tag: str) -> Callable[[int], WrkRun]:
            def one(i: int) -> WrkRun:
                path = self.workdir / f"{action}-{tag}-{i}.ids"
                path.write_text("\n".join(ids[i]) + "\n")
                return side.wrk("transition.lua", p.transition_seconds, action, str(path),
                                str(WRK_THREADS), f"{self.run_id}{action}{tag}{i}")
            return one

        def ceiling_run(i: int) -> PgbenchRun | None:
            base = self.pgbench_bases[action] - 1 + i * PGBENCH_CLIENTS * per_client
            result = self.service_pgbench(action, p.transition_pgbench_seconds,
                                          {**variables, "seq": 0, "base": base,
                                           "per_client": per_client})
            if result and result.transactions > PGBENCH_CLIENTS * per_client * 0.75:
                self.results.note(f"pgbench {action}: {result.transactions:,} transactions "
                                  f"came close to the {PGBENCH_CLIENTS * per_client:,} "
                                  "orders seeded for the run; raise pgbench_per_client")
            return result

        service_runs, plain_runs, ceilings = alternate(
            p.transition_pairs, action, run(service, service_ids, "s"),
            run(plain, plain_ids, "p"), ceiling_run)
        self.report_transition(action, service_runs, plain_runs, ceilings)

    def reads(self, service: Side, plain: Side, variables: dict[str, object],
              pools: tuple[dict[str, list[list[str]]], dict[str, list[list[str]]]]) -> None:
        """GET an order and a list page against the plain app's no-op route, and against
        the plain app's bare reads (the simplest design that could meet the targets)."""
        p = self.profile
        read_ids, bare_ids = self.workdir / "read.ids", self.workdir / "bare-read.ids"
        for path, pool in ((read_ids, pools[0]), (bare_ids, pools[1])):
            path.write_text("\n".join(id_ for runs in pool.values() for run in runs
                                       for id_ in run[:5000]) + "\n")
        reads = {**variables, "orders": self.pgbench_orders}
        service_runs, noop_runs, bare_runs, pgbench_runs = alternate(
            p.read_pairs, "GET order",
            lambda _: service.wrk("get.lua", p.read_seconds, "/v1/orders/{id}", str(read_ids)),
            lambda _: plain.wrk("get.lua", p.read_seconds, "/noop"),
            lambda _: plain.wrk("get.lua", p.read_seconds, "/v1/orders/{id}", str(bare_ids)),
            lambda _: self.service_pgbench("get_order", p.read_pgbench_seconds, reads))
        self.report_read("GET /v1/orders/{id}", service_runs, noop_runs, TARGET_GET_VS_NOOP,
                         TARGET_GET_P99_MS)
        self.report_bare("GET /v1/orders/{id}", service_runs, noop_runs, bare_runs)
        if all(pgbench_runs):
            ratio = median_ratio([r.rate for r in service_runs],
                                 [c.tps for c in pgbench_runs])
            self.results.add(Row(
                "  (reference) GET /v1/orders/{id} against its SQL alone",
                f"{statistics.median(r.rate for r in service_runs):,.0f}/s",
                f"pgbench get_order.sql: "
                f"{statistics.median(c.tps for c in pgbench_runs):,.0f}/s",
                percent_text(ratio, len(service_runs))))
        service_runs, noop_runs, bare_runs = alternate(
            p.read_pairs, "list page",
            lambda _: service.wrk("get.lua", p.read_seconds, "/v1/orders?limit=50"),
            lambda _: plain.wrk("get.lua", p.read_seconds, "/noop"),
            lambda _: plain.wrk("get.lua", p.read_seconds, "/v1/orders?limit=50"))
        self.report_read("GET /v1/orders?limit=50", service_runs, noop_runs,
                         TARGET_LIST_VS_NOOP, None)
        self.report_bare("GET /v1/orders?limit=50", service_runs, noop_runs, bare_runs)

    def report_bare(self, route: str, runs: list[WrkRun], noops: list[WrkRun],
                    bares: list[WrkRun]) -> None:
        """The plain app's bare read of the same route against the no-op route, and the
        service against it."""
        errors = sum(b.errors for b in bares)
        of_noop = median_ratio([b.rate for b in bares], [n.rate for n in noops])
        self.results.add(Row(
            f"  (reference) {route}: the simplest read (plain app: no middleware, the key "
            "checked in memory, one asyncpg query whose JSON text is the body, the reads "
            "that arrive together read together)",
            f"{statistics.median(b.rate for b in bares):,.0f}/s (p99 "
            f"{ms(statistics.median(b.p99 for b in bares))}, {errors} errors); against "
            f"the no-op route: {percent_text(of_noop, len(bares))}",
            "the service against it",
            percent_text(median_ratio([r.rate for r in runs], [b.rate for b in bares]),
                         len(runs))))
        self.report_cpu(f"{route} against the simplest read", runs, bares)

    def memory(self, app: Server, yardstick: Server) -> None:
        """Peak RSS of each worker after all the load, next to the plain app's."""
        peaks = app.worker_peak_rss()
        floor = yardstick.worker_peak_rss()
        if len(peaks) != 2 or len(floor) != 2:
            self.results.note(f"expected 2 workers each, found {len(peaks)} (service) and "
                              f"{len(floor)} (plain app)")
        if peaks and floor:
            worst = max(peaks) / MB
            self.results.add(Row(
                "peak RSS (VmHWM) of each `serve` worker after all the load above",
                " / ".join(f"{peak / MB:.0f} MB" for peak in peaks),
                "plain app's workers: " + " / ".join(f"{f / MB:.0f} MB" for f in floor),
                f"{max(peaks) / max(floor):.2f}x", f"< {TARGET_WORKER_RSS_MB} MB",
                worst < TARGET_WORKER_RSS_MB))

    def api_samples(self, app: Server, headers: dict[str, str]) -> None:
        """A product, a restock and a shipping method through the API: real catalogue
        events to hold the generated ones against."""
        with httpx.Client(base_url=app.url, headers=headers, timeout=30) as client:
            client.post("/v1/products", json={"sku": "API-SAMPLE-1", "name": "Sample product",
                                              "price": 1250, "stock": 40}).raise_for_status()
            client.post("/v1/products/API-SAMPLE-1/restock",
                        json={"quantity": 5}).raise_for_status()
            client.post("/v1/shipping-methods", json={"code": "bench-api", "name": "Courier",
                                                      "price": 750}).raise_for_status()

    # Reports --------------------------------------------------------------------------

    def report_place(self, runs: list[WrkRun], plain: list[WrkRun]) -> None:
        p = self.profile
        ratio = median_ratio([r.rate for r in runs], [r.rate for r in plain])
        self.results.add(Row(
            f"place order, orders/s (wrk {CONNECTIONS} connections, fresh 1-3 line orders over "
            f"{SKU_COUNT:,} SKUs, {p.place_pairs} x {p.place_seconds:g} s)",
            f"{statistics.median(r.rate for r in runs):,.0f}/s",
            f"plain FastAPI + SQLAlchemy-async app: "
            f"{statistics.median(r.rate for r in plain):,.0f}/s",
            times_text(ratio, len(runs)), f">= {TARGET_PLACE_VS_PLAIN:g}x",
            ratio[0] >= TARGET_PLACE_VS_PLAIN))
        p99 = statistics.median(r.p99 for r in runs)
        self.results.add(Row(
            f"place order latency at {CONNECTIONS} connections, p50 / p95 / p99 (median of "
            "runs)", latencies(runs), f"plain app: {latencies(plain)}",
            f"p99 {p99 / statistics.median(r.p99 for r in plain):.1f}x",
            f"p99 <= {TARGET_PLACE_P99_MS:g} ms", p99 * 1000 <= TARGET_PLACE_P99_MS))
        self.report_cpu("place order", runs, plain)
        errors = sum(r.errors for r in runs)
        self.yardstick_errors("place order", plain)
        self.results.add(Row(
            "place order errors (non-2xx and socket errors, all runs)",
            f"{errors} of {sum(r.requests for r in runs):,}",
            f"plain app: {sum(r.errors for r in plain)} of {sum(r.requests for r in plain):,}",
            "", "0", errors == 0))

    def service_pgbench(self, name: str, seconds: float, variables: dict[str, object]
                        ) -> PgbenchRun | None:
        """pgbench of one of this run's scripts of the service's SQL; None (and a note)
        when there is none or it fails, so that the HTTP figures are still taken."""
        if name not in self.scripts:
            return None
        path, constants = self.scripts[name]
        try:
            return pgbench(self.ceiling_url, path, seconds, {**variables, **constants},
                           self.workdir, session=session_settings(Timeouts()))
        except RuntimeError as error:
            if name not in self.failed_scripts:
                self.failed_scripts.add(name)
                self.results.note(f"pgbench of the service's {name} SQL failed, so its "
                                  f"figures are missing: {str(error).splitlines()[0][:800]}")
            return None

    def report_round_trips(self, commands: list[sqlcheck.Command]) -> None:
        """Round trips to the database per request (issue 13: at most two per command)."""
        by_script: dict[str, list[int]] = {}
        for command in commands:
            by_script.setdefault(command.script, []).append(command.round_trips)
        names = {"place_order": "place", "pay": "pay", "ship": "ship", "cancel": "cancel",
                 "get_order": "GET"}
        worst = max(max(trips) for script, trips in by_script.items() if script != "get_order")
        self.results.add(Row(
            "round trips to PostgreSQL per request, as the database saw them (bench/sqlcheck.py"
            "'s recording proxy; by line count where it matters)",
            ", ".join(f"{names.get(script, script)} {' / '.join(map(str, trips))}"
                      for script, trips in by_script.items()),
            "", "", "place, pay, ship, cancel <= 2", worst <= 2))

    def report_cpu(self, label: str, runs: list[WrkRun], plain: list[WrkRun]) -> None:
        """CPU time of the app's workers per request: a busy machine gives each app a
        different share of the CPU, but this cost per request it hardly changes."""
        mine = statistics.median(r.cpu_per_request for r in runs)
        theirs = statistics.median(r.cpu_per_request for r in plain)
        if mine and theirs:
            self.results.add(Row(
                f"  {label}: CPU time of the 2 workers per request (user + system, median of "
                "runs; PostgreSQL's not included; ratio: the plain app's / the service's)",
                f"{mine * 1000:.2f} ms", f"plain app: {theirs * 1000:.2f} ms",
                f"{theirs / mine:.2f}x"))

    def yardstick_errors(self, label: str, plain: list[WrkRun]) -> None:
        """A yardstick that errs measures nothing: say so beside the figures."""
        errors = sum(r.errors for r in plain) - sum(r.exhausted for r in plain)
        if errors:
            self.results.note(f"{label}: the plain app answered {errors:,} errors of "
                              f"{sum(r.requests for r in plain):,} requests, so the ratio "
                              "against it means nothing (see plain-app.log with --keep)")

    def report_waits(self, service: waits.Sampler, plain: waits.Sampler,
                     gap_free: waits.Sampler) -> None:
        for sampler in (service, plain, gap_free):
            if sampler.error:
                self.results.note(f"pg_stat_activity sampling of {sampler.database} failed: "
                                  f"{sampler.error}")
        share = service.waits.share("Lock")
        self.results.add(Row(
            "place order: sampled backend states waiting on a lock (pg_stat_activity, "
            "wait_event_type Lock; busy backends of the service's database during its runs)",
            service.waits.summary(),
            f"plain app: {plain.waits.summary()}; the simplest gap-free placement (the "
            f"reference above): {gap_free.waits.summary()}", "",
            f"Lock < {TARGET_LOCK_WAIT_SHARE:.0%}",
            service.waits.states > 0 and share < TARGET_LOCK_WAIT_SHARE))

    def report_transition(self, action: str, runs: list[WrkRun], plain: list[WrkRun],
                          ceilings: list[PgbenchRun | None]) -> None:
        p = self.profile
        ratio = median_ratio([r.rate for r in runs], [r.rate for r in plain])
        errors = sum(r.errors for r in runs)
        self.yardstick_errors(action, plain)
        for side, size, sides in (("service", p.service_pool, runs),
                                  ("plain app", p.plain_pool, plain)):
            exhausted = sum(r.exhausted for r in sides)
            if exhausted:
                self.results.note(f"{action}, {side}: the wrk runs used up their {size:,} "
                                  f"orders ({exhausted:,} requests for a missing order); "
                                  "raise the pool in the profile")
        p99 = statistics.median(r.p99 for r in runs)
        self.results.add(Row(
            f"{action} (POST /v1/orders/{{id}}/{action}, each order once), orders/s "
            f"({p.transition_pairs} x {p.transition_seconds:g} s)",
            f"{statistics.median(r.rate for r in runs):,.0f}/s (p99 {ms(p99)}, {errors} "
            "errors)",
            f"plain app, one conditional UPDATE + event INSERT: "
            f"{statistics.median(r.rate for r in plain):,.0f}/s (p99 "
            f"{ms(statistics.median(r.p99 for r in plain))}, "
            f"{sum(r.errors for r in plain)} errors); pgbench {action}.sql (the service's "
            f"SQL alone): " + (f"{statistics.median(c.tps for c in ceilings if c):,.0f}/s"
                               if all(ceilings) else "not measured"),
            times_text(ratio, len(runs)),
            f">= {TARGET_TRANSITION_VS_PLAIN:g}x, p99 <= {TARGET_TRANSITION_P99_MS:g} ms, "
            "0 errors",
            ratio[0] >= TARGET_TRANSITION_VS_PLAIN and p99 * 1000 <= TARGET_TRANSITION_P99_MS
            and errors == 0))
        self.report_cpu(action, runs, plain)

    def report_read(self, route: str, runs: list[WrkRun], noops: list[WrkRun],
                    target: float, target_p99_ms: float | None) -> None:
        p = self.profile
        ratio = median_ratio([r.rate for r in runs], [n.rate for n in noops])
        errors = sum(r.errors for r in runs)
        p99 = statistics.median(r.p99 for r in runs)
        p99_met = target_p99_ms is None or p99 * 1000 <= target_p99_ms
        self.results.add(Row(
            f"{route}, requests/s ({p.read_pairs} x {p.read_seconds:g} s)",
            f"{statistics.median(r.rate for r in runs):,.0f}/s (p99 {ms(p99)}, {errors} "
            "errors)",
            f"the plain app's no-op route, same server settings: "
            f"{statistics.median(n.rate for n in noops):,.0f}/s (p99 "
            f"{ms(statistics.median(n.p99 for n in noops))}, "
            f"{sum(n.errors for n in noops)} errors)",
            percent_text(ratio, len(runs)), f">= {target:.0%}"
            + (f", p99 <= {target_p99_ms:g} ms" if target_p99_ms else "") + ", 0 errors",
            ratio[0] >= target and p99_met and errors == 0))
        self.report_cpu(f"{route} against the no-op route", runs, noops)

    # Consistency ----------------------------------------------------------------------

    def consistency(self, store_url: str, label: str, *, versions: bool) -> None:
        """Stock, order numbers and events against the read models."""
        with psycopg.connect(store_url) as connection:
            skus, wrong, examples = stock_check(connection)
            count, low, high, distinct, last = connection.execute(
                "SELECT count(*), min(number), max(number), count(DISTINCT number), "
                "(SELECT last_number FROM order_numbers WHERE id = 1) FROM orders").fetchone()
            counts = dict(connection.execute(
                "SELECT type, count(*) FROM events GROUP BY type").fetchall())
            statuses = dict(connection.execute(
                "SELECT status, count(*) FROM orders GROUP BY status").fetchall())
            paid_ever = connection.execute(
                "SELECT count(*) FROM orders WHERE paid_at IS NOT NULL").fetchone()[0]
            stale = 0
            if versions:
                stale = connection.execute(
                    "SELECT count(*) FROM orders o WHERE o.version <> (SELECT count(*) "
                    "FROM events e WHERE e.stream_id = 'order-' || o.id::text)").fetchone()[0]
        stock_ok = wrong == 0 and skus > 0
        self.results.add(Row(
            f"{label}: every SKU's available = initial stock (+ restocks) - quantities of "
            "non-cancelled orders",
            f"{skus - wrong:,} of {skus:,} SKUs agree" + (f"; e.g. {examples}" if wrong else ""),
            "", "", "all", stock_ok))
        numbers_ok = count == 0 or (low == 1 and high == count == distinct == last)
        self.results.add(Row(
            f"{label}: order numbers are exactly 1..N",
            f"N = {count:,}: min {low}, max {high}, distinct {distinct:,}, "
            f"order_numbers.last_number {last}", "", "", "1..N, no gaps", numbers_ok))
        checks = {
            "OrderPlaced = orders": (counts.get("OrderPlaced", 0), count),
            "OrderPaid = orders ever paid": (counts.get("OrderPaid", 0), paid_ever),
            "OrderShipped = shipped": (counts.get("OrderShipped", 0), statuses.get("shipped", 0)),
            "OrderCancelled = cancelled": (counts.get("OrderCancelled", 0),
                                           statuses.get("cancelled", 0)),
        }
        bad = [f"{name}: {a:,} vs {b:,}" for name, (a, b) in checks.items() if a != b]
        if stale:
            bad.append(f"{stale} orders whose version is not their stream's length")
        self.results.add(Row(
            f"{label}: the events table agrees with the read models",
            "; ".join(f"{name.split(' =')[0]} {a:,}" for name, (a, _) in checks.items())
            + (f"; every order's version = its events ({count:,})" if versions and not stale
               else "") + (f"; MISMATCH: {'; '.join(bad)}" if bad else ""),
            "", "", "agree", not bad))

    def plain_consistency(self, plain: Plain) -> None:
        """The plain app's stock and events after the load (it must be right too)."""
        found = plain_store.consistency(plain.url, plain.initial_stock())
        problems = found.problems()
        self.results.add(Row(
            "plain app after the load: every SKU's available = opening stock - quantities of "
            "every order (its cancel keeps the stock sold); one OrderPlaced per order; "
            "OrderShipped / OrderCancelled = shipped / cancelled",
            f"{found.skus - len(found.wrong_skus):,} of {found.skus:,} SKUs agree; "
            f"{found.orders:,} orders; " + ", ".join(
                f"{k} {v:,}" for k, v in sorted(found.events.items()))
            + (f"; MISMATCH: {'; '.join(problems)}" if problems else ""),
            "", "", "agree", not problems))

    def compare_events(self, service: Store) -> None:
        """The generated payloads against those the API stored in this run."""
        with psycopg.connect(service.url) as connection:
            rows = connection.execute(
                "SELECT type, data, metadata FROM (SELECT type, data, metadata, row_number() "
                "OVER (PARTITION BY type ORDER BY position) AS n FROM events "
                "WHERE position > %s) sample WHERE n <= 300", (self.seeded_last_position,)
            ).fetchall()
        real: dict[str, list[Any]] = {}
        for event_type, data, metadata in rows:
            real.setdefault(event_type, []).append({"data": data, "metadata": metadata})
        plan = history.HistoryPlan(orders=3_000, events=6_000, products=SKU_COUNT)
        made: dict[str, list[Any]] = {}
        for event in history.shop_history(plan, products(), STOCK, service.metadata(9),
                                          random.Random(9)):
            if len(made.setdefault(event.type, [])) < 300:
                made[event.type].append(json.loads(json.dumps(
                    {"data": event.data, "metadata": event.metadata})))
        problems = []
        for event_type in sorted(made):
            if event_type not in real:
                problems.append(f"{event_type}: the API stored none to compare with")
                continue
            problems += [f"{event_type}: {p}" for p in
                         history.compare_shapes(real[event_type], made[event_type])]
        self.results.add(Row(
            "generated events have the shape of those the API stored in this run",
            f"{len(made)} event types, {sum(len(v) for v in real.values()):,} API events "
            "compared" + (f"; {'; '.join(problems[:5])}" if problems else ""),
            "", "", "same fields and types", not problems))

    # Rebuild --------------------------------------------------------------------------

    def rebuild(self, rebuilt: seed.BenchDatabase) -> None:
        p = self.profile
        lite = self.workdir / "rebuild.sqlite"
        lite_url = f"sqlite:///{lite}"
        subprocess.run([str(COMMAND), "migrate"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL,
                       env={**seed.service_env(rebuilt), "ORDER_SERVICE_DATABASE_URL": lite_url})
        plan = history.HistoryPlan(orders=p.rebuild_orders, events=p.rebuild_events,
                                   products=SKU_COUNT)
        metadata = history.Metadata(random.Random(21), KEY_NAME, str(uuid.uuid4()))
        started = time.perf_counter()
        with tqdm(total=plan.events, unit="event", desc="generating events (PostgreSQL COPY "
                  "+ SQLite executemany)", file=sys.stderr, mininterval=2.0) as bar:
            counts = history.write_history(
                history.shop_history(plan, products(), STOCK, metadata, random.Random(22)),
                postgres_url=rebuilt.url, sqlite_path=str(lite), progress=bar.update)
        assert counts.total() == plan.events, counts
        with psycopg.connect(rebuilt.url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE events")
            connection.execute("CHECKPOINT")
        log(f"wrote {plan.events:,} events ({plan.orders:,} orders) to both databases in "
            f"{time.perf_counter() - started:.0f} s: " + ", ".join(
                f"{k} {v:,}" for k, v in sorted(counts.items())))
        for backend, url in (("PostgreSQL", rebuilt.url), ("SQLite", lite_url)):
            env = {**seed.service_env(rebuilt), "ORDER_SERVICE_DATABASE_URL": url}
            log(f"rebuild-projections on {backend} ...")
            seconds, reported = run_rebuild(env)
            assert reported == plan.events, f"rebuilt from {reported} events"
            log(f"rebuild on {backend}: {plan.events / seconds:,.0f} events/s "
                f"({seconds:.1f} s); now its ceiling ...")
            floor = postgres_floor(rebuilt.url) if backend == "PostgreSQL" else sqlite_floor(lite)
            rate, ceiling = plan.events / seconds, plan.events / floor
            target = backend == "PostgreSQL"
            self.results.add(Row(
                f"`order-service rebuild-projections` on {backend}, {plan.events:,} events "
                f"({plan.orders:,} orders), events/s (whole command)",
                f"{rate:,.0f}/s ({seconds:.1f} s)",
                f"reading every event + writing every order row, no Python between: "
                f"{ceiling:,.0f}/s ({floor:.1f} s)",
                f"{rate / ceiling:.0%}",
                f">= {TARGET_REBUILD_PER_SECOND:,}/s" if target else "",
                rate >= TARGET_REBUILD_PER_SECOND if target else None))
        with sqlite3.connect(lite) as connection:
            count, high, last = connection.execute(
                "SELECT count(*), max(number), (SELECT last_number FROM order_numbers) "
                "FROM orders").fetchone()
        if not count == high == last == plan.orders:
            self.results.note(f"SQLite rebuild: {count} orders, max number {high}, "
                              f"last_number {last}; expected {plan.orders}")
        self.consistency(rebuilt.url, "rebuilt store (PostgreSQL)", versions=False)

    # Export ---------------------------------------------------------------------------

    def export(self, rebuilt: seed.BenchDatabase) -> None:
        p = self.profile
        orders = p.rebuild_orders
        pages = export.Results()
        export.measure_pages(rebuilt, orders, p.page_pairs, self.workdir, pages)
        for row in pages.rows:
            self.results.add(row)
        empty = export.run_export(rebuilt, "ndjson", "--placed-to", "2000-01-01")
        runs, copies = [], []
        for pair in range(p.export_pairs):
            run = export.run_export(rebuilt, "ndjson")
            assert run.orders == orders, f"exported {run.orders} orders, not {orders}"
            runs.append(run)
            copies.append(export.copy_seconds(rebuilt, export.COPY_RAW))
            log(f"export pair {pair + 1}/{p.export_pairs}: {orders / run.seconds:,.0f} "
                f"orders/s, peak RSS {run.peak_rss / MB:.0f} MB; COPY "
                f"{orders / copies[-1]:,.0f} orders/s")
        rate = orders / statistics.median(r.seconds for r in runs)
        ratio = median_ratio([orders / r.seconds for r in runs], [orders / c for c in copies])
        self.results.add(Row(
            f"`order-service export --format ndjson` of {orders:,} orders, orders/s "
            "(whole command)",
            f"{rate:,.0f}/s", f"`{export.COPY_RAW}`: "
            f"{orders / statistics.median(copies):,.0f}/s",
            percent_text(ratio, len(runs)), f">= {TARGET_EXPORT_PER_SECOND:,}/s",
            rate >= TARGET_EXPORT_PER_SECOND))
        peak = max(r.peak_rss for r in runs) / MB
        self.results.add(Row(
            f"peak RSS of that export ({orders:,} orders)", f"{peak:.0f} MB",
            f"the same command exporting 0 orders: {empty.peak_rss / MB:.0f} MB",
            f"{peak / (empty.peak_rss / MB):.2f}x", f"< {TARGET_EXPORT_RSS_MB} MB",
            peak < TARGET_EXPORT_RSS_MB))

    def tear_down(self) -> None:
        for server in self.servers:
            server.stop()
        for database in self.databases:
            try:
                seed.drop_database(database, self.admin_url)
            except psycopg.Error as error:
                log(f"could not drop {database.name}: {error}")


def stock_check(connection: psycopg.Connection[Any]) -> tuple[int, int, str]:
    """(SKUs, SKUs whose available stock disagrees with the events and orders, examples)."""
    rows = connection.execute("""
        WITH initial AS (
            SELECT data->>'sku' AS sku, (data->>'stock')::bigint AS stock
            FROM events WHERE type = 'ProductAdded'),
        restocked AS (
            SELECT data->>'sku' AS sku, sum((data->>'quantity')::bigint) AS quantity
            FROM events WHERE type = 'ProductRestocked' GROUP BY 1),
        sold AS (
            SELECT line->>'sku' AS sku, sum((line->>'quantity')::bigint) AS quantity
            FROM orders, jsonb_array_elements(orders.lines) AS line
            WHERE orders.status <> 'cancelled' GROUP BY 1)
        SELECT sku, p.available,
               i.stock + coalesce(r.quantity, 0) - coalesce(s.quantity, 0) AS expected
        FROM products p FULL JOIN initial i USING (sku)
        LEFT JOIN restocked r USING (sku) LEFT JOIN sold s USING (sku)
    """).fetchall()
    wrong = [(sku, have, want) for sku, have, want in rows if have != want]
    examples = ", ".join(f"{sku}: {have} not {want}" for sku, have, want in wrong[:3])
    return len(rows), len(wrong), examples


def run_rebuild(env: dict[str, str]) -> tuple[float, int]:
    """`order-service rebuild-projections`: wall seconds and the events it reports."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        subprocess.run([str(COMMAND), "rebuild-projections"], env=env, stdout=output,
                       stderr=output, check=True)
        seconds = time.perf_counter() - started
        output.seek(0)
        text = output.read().decode(errors="replace")
    found = re.search(r"rebuilt read models from (\d+) events", text)
    assert found, text[-2000:]
    return seconds, int(found.group(1))


def postgres_floor(url: str) -> float:
    """Seconds to read every event (COPY out, every byte received) and to write every
    order row into an indexed twin (INSERT ... SELECT): what any rebuild must do."""
    started = time.perf_counter()
    received = 0
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        with cursor.copy("COPY (SELECT position, version, type, schema_version, data, "
                         "metadata FROM events ORDER BY position) TO STDOUT") as copy:
            for block in copy:
                received += len(block)
        cursor.execute("CREATE TEMPORARY TABLE floor_orders (LIKE orders INCLUDING ALL)")
        cursor.execute("INSERT INTO floor_orders SELECT * FROM orders")
        connection.commit()
    assert received > 0
    return time.perf_counter() - started


def sqlite_floor(path: Path) -> float:
    """The same on SQLite: fetch every event, copy every order into an indexed twin."""
    started = time.perf_counter()
    with sqlite3.connect(path) as connection:
        cursor = connection.execute("SELECT position, version, type, schema_version, data, "
                                    "metadata FROM events ORDER BY position")
        while cursor.fetchmany(5_000):
            pass
        connection.execute("CREATE TEMPORARY TABLE floor_orders AS SELECT * FROM orders "
                           "WHERE 0")
        connection.execute("CREATE UNIQUE INDEX temp.floor_id ON floor_orders (id)")
        connection.execute("CREATE UNIQUE INDEX temp.floor_number ON floor_orders (number)")
        connection.execute("CREATE INDEX temp.floor_status ON floor_orders (status, number)")
        connection.execute("INSERT INTO floor_orders SELECT * FROM orders")
        connection.commit()
    return time.perf_counter() - started


# Output -------------------------------------------------------------------------------

def render(bench: Bench, elapsed: float) -> str:
    lines = [
        "# Flash-sale benchmark (bench/harness.py)",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; run: {bench.profile.name}, "
        f"took {elapsed / 60:.1f} min",
        f"- machine: {export.cpu_model()}, {os.cpu_count()} cores; Python "
        f"{sys.version.split()[0]}; PostgreSQL {export.server_version(bench.admin_url)}; "
        f"{_version('wrk')}; {_version('pgbench')}",
        f"- commit: {export.git_commit()}",
        f"- runs: {bench.profile.describe()}",
        f"- load: wrk -t{WRK_THREADS} -c{CONNECTIONS} --timeout {WRK_TIMEOUT}; pgbench "
        f"-M prepared -c{PGBENCH_CLIENTS} -j{PGBENCH_THREADS}; `order-service serve "
        "--workers 2` with default settings and the plain app (bench/plain_app.py) served "
        "the same way, under the same wrk scripts; every POST with a fresh Idempotency-Key",
        f"- load average (1, 5, 15 min) when the run began: {bench.load_at_start}; when it "
        f"ended: {load_average()}",
        "",
        "| figure | value | yardstick (same run) | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for row in bench.results.rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(f"| {row.figure} | {row.value} | {row.baseline} | {row.ratio} | "
                     f"{row.target} | {met} |")
    if bench.results.notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in bench.results.notes]
    return "\n".join(lines) + "\n"


BUSY_LOAD_PER_CORE = 1.0


def busy_machine_note(load: str) -> str | None:
    """A warning when other work had the CPU before the run began."""
    try:
        one_minute = float(load.split(maxsplit=1)[0])
    except (ValueError, IndexError):
        return None
    cores = os.cpu_count() or 1
    if one_minute <= BUSY_LOAD_PER_CORE * cores:
        return None
    return (f"the machine was busy before this run began (load average {one_minute:.1f} on "
            f"{cores} cores): other work competed for the CPU throughout, so neither the "
            "figures nor the ratios between the service and the plain app (which use the "
            "CPU differently: worker threads against one event loop per worker) stand for a "
            "quiet machine; do not quote this run")


def _version(tool: str) -> str:
    try:
        done = subprocess.run([tool, "--version"], capture_output=True, text=True,
                              check=False)
    except OSError:
        return tool
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0].split(" Copyright")[0].strip() if text else tool


@contextmanager
def interrupts_as_exit() -> Iterator[None]:
    """SIGTERM ends the run like Ctrl-C does, so the databases are still dropped."""
    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a ~2-minute smoke run: shorter runs, one pair each, 100,000 "
                        "events, 50,000 orders")
    parser.add_argument("--admin-url", default=seed.ADMIN_URL,
                        help="a PostgreSQL URL whose user may create databases (default "
                        "$BENCH_POSTGRES_URL or postgresql://postgres@127.0.0.1:5432/postgres)")
    parser.add_argument("--results", type=Path, default=None,
                        help="markdown file for the table (default bench/RESULTS.md for a "
                        "full run, none for --quick)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the databases and the work directory (logs) afterwards")
    args = parser.parse_args()
    profile = QUICK if args.quick else FULL
    results_path = args.results or (None if args.quick else RESULTS_FILE)

    ensure_tools()
    try:
        with psycopg.connect(args.admin_url, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        sys.exit(f"bench: cannot reach PostgreSQL at {args.admin_url}: {error}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    bench = Bench(profile, args.admin_url, workdir)
    log(f"{profile.name} run {bench.run_id}; work directory {workdir}; load average "
        f"{bench.load_at_start}")
    busy = busy_machine_note(bench.load_at_start)
    if busy:
        bench.results.note(busy)
    try:
        with interrupts_as_exit():
            service, ceiling, plain, rebuilt = bench.set_up()
            pools = bench.seed_pools(service, ceiling, plain)
            bench.capture_sql(ceiling)
            bench.load(service, plain, pools)
            log("checking consistency after the load")
            bench.consistency(service.url, "after the load", versions=True)
            bench.plain_consistency(plain)
            bench.compare_events(service)
            bench.rebuild(rebuilt)
            log("export figures on the rebuilt store")
            bench.export(rebuilt)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        if args.keep:
            log("kept: " + ", ".join(d.url for d in bench.databases) + f"; {workdir}")
            bench.databases.clear()
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        bench.tear_down()
    elapsed = time.monotonic() - STARTED
    report = render(bench, elapsed)
    print(report)
    if results_path is not None:
        results_path.write_text(report)
        log(f"wrote {results_path}")
    log(f"done in {elapsed / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
