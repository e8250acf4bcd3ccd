"""API keys as an operator handles them: `order-service serve` and `api-key create|list|revoke`.

The command runs as installed, configured only through its environment, on the test's own
database; the keys it prints are then used against the real app. What SqlApiKeys stores
and refuses (names taken, revoked names given again, only a hash kept) is
tests/integration/test_api_keys.py's.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from order_service.settings import Settings
from tests.api_keys import app_client, bearer
from tests.e2e.expectations import assert_problem
from tests.servers import COMMAND, StartServer

KEY_LINE = re.compile(r"^os_live_[A-Za-z0-9_-]{40,}$")
KEY_IN_TEXT = re.compile(r"os_live_[A-Za-z0-9_-]{40,}")
BANNER = "made a merchant key for you"
INVALID_TOKEN = 'Bearer realm="order-service", error="invalid_token"'


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `order-service ARGS` on `database_url`, with no other ORDER_SERVICE_* setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
    env["ORDER_SERVICE_DATABASE_URL"] = database_url
    return subprocess.run([str(COMMAND), *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def create(database_url: str, role: str, name: str) -> str:
    """`api-key create`, which must succeed; the key it printed."""
    result = cli(database_url, "api-key", "create", "--role", role, "--name", name)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def unique_name(prefix: str) -> str:
    """A key name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def app(settings: Settings) -> Iterator[TestClient]:
    """The real app over this test's database; each request names its own key."""
    with app_client(settings, "os_live_no-default-key-in-these-tests") as client:
        yield client


def status_with(app: TestClient, key: str, path: str = "/v1/orders") -> int:
    """The status of GET `path` with `key`."""
    return app.get(path, headers=bearer(key)).status_code


# -- the first key -------------------------------------------------------------------------


def test_serve_on_an_empty_store_prints_a_working_merchant_key_once(
    start_server: StartServer,
) -> None:
    server = start_server(with_key=False)

    printed = KEY_IN_TEXT.findall(server.output())
    assert BANNER in server.output()
    assert len(printed) == 1, server.output()
    assert f"back office: {server.base_url}/admin" in server.output()
    with httpx.Client(base_url=server.base_url, headers=bearer(printed[0])) as first:
        assert first.get("/v1/orders").status_code == 200
        assert first.post("/v1/products", json={"sku": "FIRST-1", "name": "First",
                                                "price": 100, "stock": 1}).status_code == 201


def test_a_second_start_prints_no_key(start_server: StartServer) -> None:
    server = start_server(with_key=False)
    assert len(KEY_IN_TEXT.findall(server.output())) == 1

    server.stop()
    server.start()

    assert len(KEY_IN_TEXT.findall(server.output())) == 1
    assert server.output().count(BANNER) == 1


def test_serve_on_a_store_with_a_key_prints_none(start_server: StartServer) -> None:
    server = start_server()  # the Server made a merchant key first

    assert BANNER not in server.output()
    assert KEY_IN_TEXT.findall(server.output()) == []


# -- create ----------------------------------------------------------------------------------


def test_create_prints_the_key_alone_on_standard_output(database_url_for_test: str) -> None:
    name = unique_name("storefront-eu")
    result = cli(database_url_for_test, "api-key", "create", "--role", "storefront",
                 "--name", name)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    assert KEY_LINE.match(lines[0]), lines[0]
    assert name in result.stderr
    assert lines[0] not in result.stderr


# -- list ------------------------------------------------------------------------------------


def test_list_shows_names_roles_creation_and_last_use_but_never_a_key(
    app: TestClient, database_url_for_test: str,
) -> None:
    used, unused = unique_name("used"), unique_name("unused")
    used_key = create(database_url_for_test, "merchant", used)
    unused_key = create(database_url_for_test, "storefront", unused)
    assert status_with(app, used_key) == 200

    result = cli(database_url_for_test, "api-key", "list")

    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    header = result.stdout.splitlines()[0]
    for column in ("NAME", "ROLE", "CREATED", "LAST USED"):
        assert column in header
    assert set(rows) == {used, unused}
    assert rows[used].split()[1] == "merchant"
    assert rows[unused].split()[1] == "storefront"
    timestamps = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
    assert len(timestamps.findall(rows[used])) == 2  # created, and last used
    assert len(timestamps.findall(rows[unused])) == 1
    assert "never" in rows[unused]
    for key in (used_key, unused_key):
        secret_part = key.removeprefix("os_live_")[4:]  # after what list may show
        assert secret_part[:8] not in result.stdout + result.stderr
    assert KEY_IN_TEXT.search(result.stdout + result.stderr) is None


# -- revoke ----------------------------------------------------------------------------------


def test_a_revoked_key_is_refused_with_401_at_once(
    app: TestClient, database_url_for_test: str,
) -> None:
    name = unique_name("old-till")
    key = create(database_url_for_test, "merchant", name)
    assert status_with(app, key) == 200

    revoked = cli(database_url_for_test, "api-key", "revoke", name)

    assert revoked.returncode == 0, revoked.stderr
    refused = app.get("/v1/orders", headers=bearer(key))
    assert_problem(refused, 401)
    assert refused.headers["www-authenticate"] == INVALID_TOKEN
    listed = cli(database_url_for_test, "api-key", "list").stdout
    assert "revoked" in next(line for line in listed.splitlines() if line.startswith(name))


def test_revoking_an_unknown_name_exits_2_naming_it(database_url_for_test: str) -> None:
    name = unique_name("nobody")

    result = cli(database_url_for_test, "api-key", "revoke", name)

    assert result.returncode == 2
    assert name in result.stderr
    assert "api-key list" in result.stderr
    assert "Traceback" not in result.stderr
