"""What the service sends to PostgreSQL, captured, and pgbench scripts made from it.

The pgbench figures only mean something if each script sends what the service sends
for the same request. So nothing is copied by hand: this module runs the real app
(create_app, in this process) on a bench database through a recording proxy (wire.py:
whatever the driver, prepared or pipelined, the database's view), sends each kind of
request the bench loads a few times, and turns the last one's statements into a
pgbench script (scripts.py says how). The harness does this on every run and runs the
scripts it made; the copies in bench/pgbench/ are for reading and reviewing, and the
check says when the service no longer sends what they hold.

    .venv/bin/python bench/sqlcheck.py            # capture; compare with bench/pgbench/
    .venv/bin/python bench/sqlcheck.py --print    # ... and list every statement
    .venv/bin/python bench/sqlcheck.py --write    # regenerate bench/pgbench/*.sql
"""

# ruff: noqa: PLC0415, S311, S603 (the app is imported when a capture runs; made-up data; runs order-service)
from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
import uuid
from collections import Counter
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Any

import scripts
import wire
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
COMMITTED = HERE / "pgbench"
# The last repetition is kept (connections warm, statements prepared), but only the
# statements every repetition sent: a check the service makes now and then rather than
# per request (a key cache's look at revocations, say) belongs in neither the script nor
# the round trips. The earlier repetitions run with no hold, so they take milliseconds,
# and a check made once a second cannot land in all four.
REPEATS = 5
HOLD_SECONDS = 0.05  # each answer delayed so, to tell waiting for it from sending on
CAPTURE_SKUS = ("100401", "100402", "100403")  # any three SKUs of the catalogue
CAPTURE_NUMBERS_FROM = 100_000  # order numbers long enough to be recognised in later SQL


@dataclass(frozen=True)
class Command:
    """One kind of request: what the database received for its last repetition."""

    name: str
    script: str
    lines: int  # the \\if branch it fills (0: the script has none)
    statements: list[wire.Statement]  # sent for both of the last two repetitions
    previous: list[wire.Statement]  # the same, of the repetition before: what varies
    round_trips: int  # that the client waited for, those statements' only
    occasional: list[str]  # sent for the last repetition only (a periodic check, say)
    known: scripts.Known

    def transactions(self) -> str:
        """The transaction structure: BEGIN [3] COMMIT [1] ... (statements between)."""
        parts: list[str] = []
        count = 0
        for statement in scripts.kept(self.statements):
            word = statement.text.strip().rstrip(";").upper()
            if word in ("BEGIN", "COMMIT", "ROLLBACK") or word.startswith("BEGIN "):
                if count:
                    parts.append(f"[{count}]")
                parts.append(word.split()[0])
                count = 0
            else:
                count += 1
        if count:
            parts.append(f"[{count}]")
        return " ".join(parts)


def capture(database_url: str) -> list[Command]:
    """Each kind of request the bench loads, sent to the real app through the proxy."""
    import warnings

    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from order_service.api.app import create_app
    from order_service.settings import Settings

    url = make_url(database_url)
    proxy = wire.Proxy(url.host or "127.0.0.1", url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    token = _new_key(database_url)
    commands: list[Command] = []
    try:
        with TestClient(create_app(Settings(database_url=proxied,
                                            cursor_secret="bench-cursor-secret")),  # noqa: S106
                        headers={"Authorization": f"Bearer {token}"}) as client:
            client.get("/v1/shipping-methods").raise_for_status()
            session = _Session(client, proxy)
            for lines in (1, 2, 3):
                commands.append(session.command(
                    f"place an order of {lines} line(s)", "place_order", lines,
                    lambda _, lines=lines: session.place(lines)))
            paid = [session.place(1) for _ in range(REPEATS)]
            commands.append(session.command("pay", "pay", 0, lambda i: session.act(
                paid[i], "pay", {"payment_reference": f"PAY-{i}"})))
            commands.append(session.command("ship", "ship", 0, lambda i: session.act(
                paid[i], "ship", {"tracking_number": f"3S{i}"})))
            for lines in (1, 2, 3):
                pending = [session.place(lines) for _ in range(REPEATS)]
                commands.append(session.command(
                    f"cancel an order of {lines} line(s)", "cancel", lines,
                    lambda i, pending=pending: session.act(
                        pending[i], "cancel", {"reason": "customer asked"})))
            # asyncpg opens its pooled connections one by one and prepares a statement
            # once on each: warm them all, so that the GETs recorded are the steady ones.
            for _ in range(2 * Settings().db_pool_size):
                session.get(paid[0])
            commands.append(session.command("get an order", "get_order", 0, lambda i: (
                session.get(paid[i]))))
    finally:
        proxy.close()
    return commands


class _Session:
    """The requests of a capture, each returning what the scripts must vary."""

    def __init__(self, client: Any, proxy: wire.Proxy) -> None:
        self.client = client
        self.proxy = proxy
        self.orders: dict[str, list[str]] = {}

    def command(self, name: str, script: str, lines: int, send: Any) -> Command:
        recordings = []
        for repeat in range(REPEATS):
            # The last repetition, the one kept, is also the one whose round trips count.
            hold = HOLD_SECONDS if repeat == REPEATS - 1 else 0.0
            with self.proxy.record(hold) as recording:
                known = send(repeat)
            recordings.append((recording, known))
        last, known = recordings[-1]
        steady = _steady([scripts.kept(r.statements) for r, _ in recordings])
        statements = _only(scripts.kept(last.statements), steady)
        previous = _only(scripts.kept(recordings[-2][0].statements), steady)
        occasional = [s for s in scripts.kept(last.statements) if s not in statements]
        return Command(name, script, lines, statements, previous, last.waits(statements),
                       [" ".join(s.text.split()) for s in occasional], known)

    def place(self, lines: int) -> scripts.Known:
        key = uuid.uuid4().hex
        response = self.client.post("/v1/orders", json=order_body(list(CAPTURE_SKUS[:lines])),
                                    headers={"Idempotency-Key": key})
        response.raise_for_status()
        order_id = response.json()["id"]
        self.orders[order_id] = list(CAPTURE_SKUS[:lines])
        return scripts.Known(order_id, key, self.orders[order_id])

    def act(self, placed: scripts.Known, action: str, body: dict[str, str]) -> scripts.Known:
        key = uuid.uuid4().hex
        response = self.client.post(f"/v1/orders/{placed.order_id}/{action}", json=body,
                                    headers={"Idempotency-Key": key})
        response.raise_for_status()
        return scripts.Known(placed.order_id, key, placed.skus)

    def get(self, placed: scripts.Known) -> scripts.Known:
        self.client.get(f"/v1/orders/{placed.order_id}").raise_for_status()
        return scripts.Known(placed.order_id, None, [])


def _steady(repetitions: list[list[wire.Statement]]) -> Counter[str]:
    """How many times every repetition sent each statement (the least of their counts).
    Counted, not aligned: a check made on another connection now and then (a key
    cache's look at revocations, say) lands anywhere among the request's statements."""
    counts = [Counter(scripts.normalise(s.text) for s in statements)
              for statements in repetitions]
    return reduce(lambda a, b: a & b, counts)


def _only(statements: list[wire.Statement], steady: Counter[str]) -> list[wire.Statement]:
    """`statements` in their order, each text as many times as `steady` allows."""
    left = Counter(steady)
    chosen = []
    for statement in statements:
        text = scripts.normalise(statement.text)
        if left[text] > 0:
            left[text] -= 1
            chosen.append(statement)
    return chosen


def _new_key(database_url: str) -> str:
    """A merchant key made by `order-service api-key create`, as an operator makes one."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
    env["ORDER_SERVICE_DATABASE_URL"] = database_url
    command = Path(sys.executable).with_name("order-service")
    return subprocess.run([str(command), "api-key", "create", "--role", "merchant", "--name",
                           f"sqlcheck-{uuid.uuid4().hex[:8]}"], env=env, capture_output=True,
                          text=True, check=True).stdout.strip()


def order_body(skus: list[str]) -> dict[str, Any]:
    """An order for one of each SKU, as the load's Lua script sends it."""
    address = {"name": "Ana García", "line1": "Calle Mayor 1", "city": "Madrid",
               "postal_code": "28013", "country": "ES"}
    return {"customer": {"name": "Ana García", "email": "ana@example.com",
                         "phone": "+34 600 000 000"},
            "lines": [{"sku": sku, "quantity": 1} for sku in skus],
            "shipping_address": address, "billing_address": address,
            "payment_method": "card", "shipping_method": "standard"}


# Comparing with the committed copies ---------------------------------------------------

def differences(generated: dict[str, scripts.Script], committed: Path = COMMITTED
                ) -> dict[str, list[str]]:
    """Per script whose committed copy differs: the statements that changed, in words."""
    found: dict[str, list[str]] = {}
    for name, script in generated.items():
        path = committed / f"{name}.sql"
        old = scripts.statements_of(path.read_text()) if path.exists() else []
        new = scripts.statements_of(script.text)
        if old != new:
            found[name] = describe_changes(old, new) if old else ["no committed copy"]
    return found


def describe_changes(old: list[str], new: list[str]) -> list[str]:
    """What changed from `old` to `new`, statement by statement (1-based, as in `new`)."""
    changes = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            changes += [f"- was statement {a1 + k + 1}: {old[a1 + k]}" for k in range(a2 - a1)]
        if tag in ("replace", "insert"):
            changes += [f"+ now statement {b1 + k + 1}: {new[b1 + k]}" for k in range(b2 - b1)]
    return changes


def report(commands: list[Command], *, print_all: bool) -> str:
    """Per command: round trips, transactions, statements (all of them with print_all)."""
    lines = []
    for command in commands:
        kept = scripts.kept(command.statements)
        lines.append(f"== {command.name} ({command.script}.sql): {command.round_trips} round "
                     f"trips, {len(kept)} statements: {command.transactions()}"
                     + "".join(f"\n   now and then, not counted: {text}"
                               for text in command.occasional))
        if print_all:
            for statement in kept:
                lines.append(f"   [{statement.round_trip}] " + " ".join(statement.text.split()))
    return "\n".join(lines)


def main() -> int:
    import seed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="list every statement")
    parser.add_argument("--write", action="store_true",
                        help="write the generated scripts to bench/pgbench/")
    parser.add_argument("--admin-url", default=seed.ADMIN_URL)
    args = parser.parse_args()
    import random

    import history
    import psycopg

    database = seed.create_database(args.admin_url, prefix="bench_sqlcheck")
    try:
        seed.migrate(database)
        products = seed.catalogue_products(1000, lambda index: str(100001 + index))
        metadata = history.Metadata(random.Random(1), "sqlcheck", str(uuid.uuid4()))
        history.seed_catalogue(database.url, products, 1_000_000, metadata)
        with psycopg.connect(database.url) as connection:
            connection.execute("UPDATE order_numbers SET last_number = %s",
                               (CAPTURE_NUMBERS_FROM,))
        commands = capture(database.url)
        generated = scripts.generate(commands, database.url)
    finally:
        seed.drop_database(database, args.admin_url)
    print(report(commands, print_all=args.print))
    if args.write:
        for name, script in generated.items():
            (COMMITTED / f"{name}.sql").write_text(script.text)
        print(f"wrote {', '.join(sorted(generated))} to {COMMITTED}")
        return 0
    changed = differences(generated)
    for name, changes in changed.items():
        print(f"\nbench/pgbench/{name}.sql differs from what the service sends now:")
        print("\n".join(f"  {change}" for change in changes))
    if changed:
        print("\nThe bench runs what the service sends; refresh the copies with "
              "`.venv/bin/python bench/sqlcheck.py --write`.")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
