"""Least privilege: the owner role migrates, the service's own role may only add events.

On PostgreSQL the module makes two roles of its own (unique names, dropped afterwards)
and a database the owner owns. It migrates to the first revision as the owner, applies
what `order-service grants` prints, then lets `order-service migrate` bring the schema
to head: every table made after the grants (API keys, sessions, ...) is one a later
migration added, as in a real deployment. The service then runs as its role.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ProgrammingError

from order_service.adapters.sql.schema import INSUFFICIENT_PRIVILEGE, alembic_config, head_revision
from tests.e2e.builders import create_product, create_shipping_method, line, place_order
from tests.servers import Server

COMMAND = Path(sys.executable).with_name("order-service")
EVERY_PRIVILEGE = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
READ_AND_WRITE = {"SELECT", "INSERT", "UPDATE", "DELETE"}


def run(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real `order-service` command, with only these ORDER_SERVICE_* settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
    return subprocess.run([str(COMMAND), *arguments], env={**clean, **env}, text=True,
                          capture_output=True, timeout=120, check=False)


@dataclass(frozen=True)
class Roles:
    """An owner role and a service role, and their database's URL as each of them."""

    owner: str
    service: str
    owner_url: str
    service_url: str

    def settings(self) -> dict[str, str]:
        """The environment of a service that migrates as the owner and serves as itself."""
        return {"ORDER_SERVICE_DATABASE_URL": self.service_url,
                "ORDER_SERVICE_MIGRATION_DATABASE_URL": self.owner_url}


@contextmanager
def _roles_and_database(admin_url: URL) -> Iterator[Roles]:
    suffix = uuid.uuid4().hex[:10]
    owner, service, database = f"os_owner_{suffix}", f"os_service_{suffix}", f"os_lp_{suffix}"
    passwords = {owner: secrets.token_hex(12), service: secrets.token_hex(12)}
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for role, password in passwords.items():
                connection.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
            connection.execute(text(f"CREATE DATABASE {database} OWNER {owner}"))
        yield Roles(owner, service, *(
            admin_url.set(username=role, password=passwords[role], database=database)
            .render_as_string(hide_password=False) for role in (owner, service)))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            for role in passwords:
                connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


@pytest.fixture(scope="module")
def roles(postgres_template: tuple[URL, str]) -> Iterator[Roles]:
    """Two fresh roles and an empty database the owner owns."""
    admin_url, _ = postgres_template
    with _roles_and_database(admin_url) as made:
        yield made


@pytest.fixture(scope="module")
def deployed(roles: Roles) -> Roles:
    """The database granted after its first migration, then migrated to head by the CLI."""
    command.upgrade(alembic_config(roles.owner_url), "0001")
    grants = run("grants", "--role", roles.service, env={})
    assert grants.returncode == 0, grants.stderr
    owner = create_engine(roles.owner_url)
    try:
        with owner.begin() as connection:
            connection.exec_driver_sql(grants.stdout)
    finally:
        owner.dispose()

    migrated = run("migrate", env=roles.settings())

    assert migrated.returncode == 0, migrated.stderr
    assert f"{roles.owner}:***@" in migrated.stderr
    return roles


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        yield engine
    finally:
        engine.dispose()


def _privileges(engine: Engine, role: str) -> dict[str, set[str]]:
    """For each table of the schema, the privileges `role` holds on it."""
    with engine.connect() as connection:
        return {table: {privilege for privilege in EVERY_PRIVILEGE if connection.execute(
                    text("SELECT has_table_privilege(:role, :table, :privilege)"),
                    {"role": role, "table": table, "privilege": privilege}).scalar_one()}
                for table in inspect(connection).get_table_names()}


@pytest.mark.postgres
def test_the_service_role_may_only_read_and_append_events_and_use_every_other_table(
    deployed: Roles,
) -> None:
    with _engine(deployed.owner_url) as owner:
        privileges = _privileges(owner, deployed.service)

    assert privileges.pop("events") == {"SELECT", "INSERT"}
    assert privileges.pop("alembic_version") == {"SELECT"}
    # Tables made by later migrations (after the grants) included: default privileges.
    assert {"api_keys", "admin_sessions", "event_relay"} <= set(privileges)
    assert privileges == dict.fromkeys(privileges, READ_AND_WRITE)


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "UPDATE events SET type = type",
    "DELETE FROM events",
    "TRUNCATE events",
    "ALTER TABLE events DISABLE TRIGGER ALL",
    "ALTER TABLE events DISABLE TRIGGER events_reject_update_delete",
    "DROP TABLE events",
    "UPDATE alembic_version SET version_num = version_num",
])
def test_the_service_role_may_not_change_remove_or_unguard_events(
    deployed: Roles, statement: str,
) -> None:
    with _engine(deployed.service_url) as service, service.connect() as connection, \
            pytest.raises(ProgrammingError) as refused:
        connection.execute(text(statement))

    # Refused for want of privilege, not by the append-only triggers.
    assert getattr(refused.value.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE


@pytest.mark.postgres
def test_the_service_runs_as_its_role_places_and_pays_an_order_and_rebuilds(
    deployed: Roles, tmp_path: Path,
) -> None:
    server = Server(deployed.service_url, tmp_path / "server",
                    settings={"migration_database_url": deployed.owner_url})
    try:
        client = server.start()
        sku = create_product(client, stock=5)["sku"]
        order = place_order(client, [line(sku, 2)], create_shipping_method(client)["code"])
        paid = client.post(f"/v1/orders/{order['id']}/pay")
        assert paid.status_code == 200, paid.text
    finally:
        server.close()
    assert f"migrating postgresql+psycopg://{deployed.owner}:***@" in server.output()

    rebuilt = run("rebuild-projections", env={"ORDER_SERVICE_DATABASE_URL": deployed.service_url})

    assert rebuilt.returncode == 0, rebuilt.stderr
    with _engine(deployed.service_url) as service, service.connect() as connection:
        assert connection.execute(text(
            "SELECT type FROM events ORDER BY position")).scalars().all()[-2:] == [
            "OrderPlaced", "OrderPaid"]
        assert connection.execute(text(
            "SELECT status FROM orders WHERE id = :id"), {"id": order["id"]}).scalar_one() \
            == "paid"


@pytest.mark.postgres
def test_migrating_as_the_service_role_alone_is_refused_with_what_to_set(
    postgres_template: tuple[URL, str],
) -> None:
    with _roles_and_database(postgres_template[0]) as fresh:
        refused = run("migrate", env={"ORDER_SERVICE_DATABASE_URL": fresh.service_url})

    assert refused.returncode == 2
    assert "permission denied" in refused.stderr
    assert "ORDER_SERVICE_MIGRATION_DATABASE_URL" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_migrate_changes_the_database_of_the_migration_url_when_one_is_set(
    tmp_path: Path,
) -> None:
    service, owner = tmp_path / "service.db", tmp_path / "owner.db"

    migrated = run("migrate", env={"ORDER_SERVICE_DATABASE_URL": f"sqlite:///{service}",
                                   "ORDER_SERVICE_MIGRATION_DATABASE_URL": f"sqlite:///{owner}"})

    assert migrated.returncode == 0, migrated.stderr
    with _engine(f"sqlite:///{owner}") as engine, engine.connect() as connection:
        assert connection.execute(text(
            "SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
    assert not service.exists()


def test_the_readme_shows_the_statements_grants_prints() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme[readme.index("## Least privilege"):]
    shown = section[section.index("```sql\n") + len("```sql\n"):section.index("```\n\n-")]

    printed = run("grants", "--role", "order_service", env={})

    assert printed.returncode == 0, printed.stderr
    assert shown == "".join(statement for statement in printed.stdout.splitlines(True)
                            if not statement.startswith("--"))
