"""Real `order-service serve` processes for end-to-end tests, over real TCP.

The server is the installed command, configured only through its environment and
started in an empty working directory. Whatever it wrote is printed at teardown, so a
failing test shows it (pytest shows captured output only for failures).

Every /v1 route needs an API key: before its first start a Server makes a merchant key
in its database (so `serve` does not make and print a first key of its own) and every
client it hands out sends it. `with_key=False` leaves the store without any key.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from order_service.application.access import Role
from tests.api_keys import bearer, create_key, key_name

StartServer = Callable[..., "Server"]

# `serve` and create_app refuse the placeholder cursor secret on any database but the
# default SQLite file, and every test has a database of its own.
CURSOR_SECRET_VARIABLE = "ORDER_SERVICE_CURSOR_SECRET"
TEST_CURSOR_SECRET = "the-tests-own-cursor-secret"
COMMAND = Path(sys.executable).with_name("order-service")
READY_WITHIN_SECONDS = 30.0
STARTUP_COMPLETE = "Application startup complete."


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """One `order-service serve` process (and its workers) and a client aimed at it."""

    database_url: str
    workdir: Path
    workers: int = 1
    settings: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    with_key: bool = True
    api_key: str | None = None
    api_key_name: str | None = None
    process: subprocess.Popen[bytes] | None = None
    _client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        """An httpx client aimed at the server, sending `api_key` (made by `start`)."""
        assert self._client is not None, "start the server first"
        return self._client

    @property
    def auth_headers(self) -> dict[str, str]:
        """The header that authenticates a request with the server's merchant key."""
        assert self.api_key is not None, "this server was started without a key"
        return bearer(self.api_key)

    def new_client(self, **options: Any) -> httpx.Client:
        """A client of its own (own connections) on the server, sending `api_key`.

        `options` go to httpx.Client; headers given are added to the key's.
        """
        headers = {**(bearer(self.api_key) if self.api_key else {}),
                   **options.pop("headers", {})}
        options.setdefault("timeout", 30.0)
        return httpx.Client(base_url=self.base_url, headers=headers, **options)

    @property
    def base_url(self) -> str:
        """Where the server listens."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        """The file that collects the server's output."""
        return self.workdir / "server.log"

    def start(self) -> httpx.Client:
        """Start the server (again, on the same port) and wait until it is ready."""
        assert COMMAND.is_file(), f"{COMMAND} is missing: install the project (pip install -e .)"
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.with_key and self.api_key is None:
            self.api_key_name = key_name(Role.MERCHANT)
            self.api_key = create_key(self.database_url, Role.MERCHANT, self.api_key_name)
        started_before = self.output().count(STARTUP_COMPLETE)
        # Only what the test sets: no ORDER_SERVICE_* of the caller leaks in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
        env["ORDER_SERVICE_DATABASE_URL"] = self.database_url
        env[CURSOR_SECRET_VARIABLE] = TEST_CURSOR_SECRET
        # Tests never send addresses to OpenStreetMap's geocoder; map tests set their own.
        env["ORDER_SERVICE_GEOCODER_URL"] = ""
        env.update({f"ORDER_SERVICE_{k.upper()}": v for k, v in self.settings.items()})
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [str(COMMAND), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", str(self.workers)],
                cwd=self.workdir, env=env, stdout=output, stderr=subprocess.STDOUT,
            )
        if self._client is None:
            self._client = self.new_client(limits=httpx.Limits(max_connections=64))
        self.wait_until_ready(started_before)
        return self.client

    def wait_until_ready(self, started_before: int = 0) -> None:
        """Wait until every worker started and /health/ready answers 200.

        `started_before` is how many startups the log already held (from earlier runs).
        """
        assert self.process is not None
        deadline = time.monotonic() + READY_WITHIN_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"order-service exited with {self.process.returncode}:\n{self.output()}")
            started = self.output().count(STARTUP_COMPLETE) - started_before
            try:
                if (started >= self.workers and httpx.get(
                        f"{self.base_url}/health/ready", timeout=1.0).status_code == 200):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"order-service was not ready within {READY_WITHIN_SECONDS} s:\n"
                             f"{self.output()}")

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (children of the supervisor, --workers > 1).

        The supervisor's other child, multiprocessing's resource tracker, is left out
        (workers run `spawn_main`), and so are killed workers not yet reaped (zombies).
        """
        assert self.process is not None
        if self.process.poll() is not None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split() if _is_live_worker(int(pid))]

    def kill(self) -> None:
        """SIGKILL the server and all its workers: no shutdown, no cleanup."""
        assert self.process is not None
        for pid in self.worker_pids():
            os.kill(pid, signal.SIGKILL)
        self.process.kill()
        self.process.wait(timeout=15)

    def stop(self) -> None:
        """Stop the server gracefully (SIGTERM), killing it if it does not stop in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            # Workers too: a worker that hangs would otherwise outlive its supervisor.
            self.kill()

    def close(self) -> None:
        """Stop the server, close the client and print the server's output."""
        self.stop()
        if self._client is not None:
            self._client.close()
        print(f"--- order-service output ({self.log}) ---\n{self.output()}")

    def output(self) -> str:
        """Everything the server wrote so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _is_live_worker(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return b"spawn_main" in command and state != "Z"
