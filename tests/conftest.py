"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL.

PostgreSQL tests run when ORDER_SERVICE_TEST_POSTGRES_URL names a server whose user may
create databases (e.g. postgresql://postgres@127.0.0.1:5432/test); otherwise they are
skipped with that reason. With ORDER_SERVICE_REQUIRE_POSTGRES=1 (as in CI) a missing or
unreachable server fails the run instead.

Every /v1 route needs an API key: `merchant_key` and `storefront_key` make one on the
test's database (`module_merchant_key`, `module_storefront_key` on a module's), `client`
sends the merchant key, and so does every client of a server from `start_server`.
tests/api_keys.py has the helpers for apps and keys a test makes itself.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

from order_service.adapters.memory import MemoryStorage
from order_service.adapters.sql.engine import database_url, make_engine
from order_service.adapters.sql.schema import upgrade_to_head
from order_service.adapters.sql.storage import SqlStorage
from order_service.application.access import Role
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext, Storage
from order_service.settings import Settings
from tests.api_keys import app_client, create_key, create_key_on
from tests.servers import CURSOR_SECRET_VARIABLE, TEST_CURSOR_SECRET, Server, StartServer

pytest_plugins = ["tests.browser", "tests.map_servers"]

POSTGRES_URL_VARIABLE = "ORDER_SERVICE_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_VARIABLE = "ORDER_SERVICE_REQUIRE_POSTGRES"
BACKENDS = ["sqlite", "postgresql"]
# What the storage contract suite (tests/contract) runs on: every Storage there is.
STORAGES = ["memory", *BACKENDS]


def _postgres_admin_url() -> URL | None:
    raw = os.environ.get(POSTGRES_URL_VARIABLE)
    return database_url(raw) if raw else None


def _require_postgres() -> bool:
    return os.environ.get(REQUIRE_POSTGRES_VARIABLE, "") not in ("", "0")


def pytest_configure(config: pytest.Config) -> None:
    """Every Settings() made in the tests gets the tests' cursor secret, not the placeholder."""
    os.environ.setdefault(CURSOR_SECRET_VARIABLE, TEST_CURSOR_SECRET)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that runs on PostgreSQL, so `-m postgres` selects them."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        if "postgresql" in (params.get("backend"), params.get("module_backend")):
            item.add_marker(pytest.mark.postgres)


# -- templates: migrate once per session, copy per test ------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[tuple[URL, str]]:
    """A migrated PostgreSQL database that each test clones (CREATE DATABASE ... TEMPLATE)."""
    admin_url = _postgres_admin_url()
    if admin_url is None:
        message = f"PostgreSQL tests need {POSTGRES_URL_VARIABLE}, e.g. " \
                  "postgresql://postgres@127.0.0.1:5432/test"
        if _require_postgres():
            pytest.fail(message)
        pytest.skip(message)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    template = f"os_template_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{template}"'))
    except Exception as error:  # any failure here means: no usable server
        admin.dispose()
        message = f"cannot create a database on {admin_url.render_as_string()}: {error}"
        if _require_postgres():
            pytest.fail(message)
        pytest.skip(message)
    upgrade_to_head(admin_url.set(database=template).render_as_string(hide_password=False))
    try:
        yield admin_url, template
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database product this test runs on."""
    name: str = request.param
    return name


@pytest.fixture
def database_url_for_test(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A URL to a fresh, migrated, empty database of this test's own."""
    with fresh_database(backend, request, tmp_path) as url:
        yield url


@contextmanager
def fresh_database(backend: str, request: pytest.FixtureRequest, directory: Path
                   ) -> Iterator[str]:
    """A fresh copy of the migrated template of `backend`, dropped afterwards."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = directory / f"order-service-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    admin_url, template_name = request.getfixturevalue("postgres_template")
    name = f"os_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def module_database_url(
    module_backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One fresh database shared by a whole module (for read-only or self-checking rows)."""
    with fresh_database(module_backend, request, tmp_path_factory.mktemp("module")) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def module_backend(request: pytest.FixtureRequest) -> str:
    """The database product a module-scoped database runs on."""
    name: str = request.param
    return name


@pytest.fixture
def settings(database_url_for_test: str) -> Settings:
    """Settings aimed at this test's database, with the documented defaults otherwise
    (but no geocoder: tests never send addresses to OpenStreetMap's)."""
    return Settings(database_url=database_url_for_test, geocoder_url=None)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """An engine on this test's database."""
    engine = make_engine(settings.database_url, pool_size=20)
    yield engine
    engine.dispose()


def utc_now() -> datetime:
    """The tests' clock."""
    return datetime.now(UTC)


@pytest.fixture
def storage(backend: str, request: pytest.FixtureRequest) -> Storage:
    """This test's storage: in memory, or over its own database (`backend`).

    Only the contract suite parametrises `backend` with "memory"; there the test has no
    database, so it must reach it through the storage alone.
    """
    if backend == "memory":
        return MemoryStorage(utc_now)
    return SqlStorage(request.getfixturevalue("engine"), utc_now)


@pytest.fixture
def shop(storage: Storage) -> Shop:
    """The application's use cases over this test's storage, with the default settings."""
    return Shop(storage, Settings(geocoder_url=None).shop_terms(), utc_now)


@pytest.fixture
def context() -> CommandContext:
    """A command context as a test would cause it."""
    return CommandContext(correlation_id=str(uuid.uuid4()), caused_by="test")


# -- API keys: every /v1 route needs one -----------------------------------------------


@pytest.fixture
def merchant_key(engine: Engine) -> str:
    """A merchant API key (the token) on this test's database: it may do everything."""
    return create_key_on(engine, Role.MERCHANT)


@pytest.fixture
def storefront_key(engine: Engine) -> str:
    """A storefront API key (the token) on this test's database: catalogue, orders it placed."""
    return create_key_on(engine, Role.STOREFRONT)


@pytest.fixture(scope="module")
def module_merchant_key(module_database_url: str) -> str:
    """A merchant API key on this module's shared database."""
    return create_key(module_database_url, Role.MERCHANT)


@pytest.fixture(scope="module")
def module_storefront_key(module_database_url: str) -> str:
    """A storefront API key on this module's shared database."""
    return create_key(module_database_url, Role.STOREFRONT)


@pytest.fixture
def client(settings: Settings, merchant_key: str) -> Iterator[TestClient]:
    """An HTTP client (httpx) speaking to the real ASGI app over this test's database.

    It sends the `merchant_key` on every request; pass `headers=` to a call to replace it.
    """
    with app_client(settings, merchant_key) as test_client:
        yield test_client


@pytest.fixture
def start_server(database_url_for_test: str, tmp_path: Path) -> Iterator[StartServer]:
    """Start real `order-service serve` processes on this test's database.

    `start_server(workers=2, settings={"max_body_bytes": "2048"})` returns a started
    Server (its `.client` is an httpx.Client on it that sends `server.api_key`, a merchant
    key made before the start); all are stopped at teardown. `with_key=False` starts it
    without making a key, as an operator's first `serve` on an empty store would.
    """
    started: list[Server] = []

    def start(workers: int = 1, settings: dict[str, str] | None = None,
              with_key: bool = True) -> Server:
        server = Server(database_url_for_test, tmp_path / f"server-{len(started)}",
                        workers=workers, settings=settings or {}, with_key=with_key)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.close()
