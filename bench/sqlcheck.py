"""Do the pgbench scripts still say what the service says? Capture and compare.

The pgbench ceilings only mean something if each script issues the statements the
service issues for the same request, in the same order. This module asks the real
application (create_app, in this process, on a bench database) for each kind of request
while recording every statement its engine sends (SQLAlchemy's before_cursor_execute,
executemany expanded to one statement per parameter set), and compares that with the
statements the script would send for the same case (a small reader of the script's
\\if branches). Both sides are normalised the same way: parameters and casts become `?`,
whitespace is collapsed, and the script's ways of making an id from a pgbench integer
(`lpad(to_hex(:n::BIGINT), 32, '0')::UUID`, `('order-' || ...)`) count as a parameter.

    .venv/bin/python bench/sqlcheck.py --print     # show what the service sends now

What this cannot see, because it happens below SQLAlchemy's cursor: the driver's
`;` pre-ping on every pool checkout, psycopg's `DEALLOCATE ALL` after a ROLLBACK, and
the BEGIN/COMMIT/ROLLBACK themselves (recorded here as markers from the engine's
events). bench/README.md says what those are and why the scripts leave them out.
"""

# ruff: noqa: PLC0415, S311 (the app is imported only when a check runs; made-up data)
from __future__ import annotations

import argparse
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "pgbench"

_PLACEHOLDER = re.compile(r"%\([^)]*\)s")
_VARIABLE = re.compile(r"(?<!:):[A-Za-z_]\w*")
_CAST = re.compile(r"::(TIMESTAMP WITH TIME ZONE|[A-Za-z]+)")
_MADE_ID = re.compile(
    r"\(?'order-' \|\| lpad\(to_hex\(\?\), 32, '0'\)\)?|lpad\(to_hex\(\?\), \d+, '0'\)")
TRANSACTION_MARKERS = ("BEGIN", "COMMIT", "ROLLBACK")
_NULL = re.compile(r"(?<!IS )\bNULL\b")


def normalise(statement: str) -> str:
    """A statement with its parameters, literal NULLs and casts made alike."""
    text = _PLACEHOLDER.sub("?", statement)
    text = _VARIABLE.sub("?", text)
    text = _CAST.sub("", text)
    text = " ".join(text.split())
    text = _MADE_ID.sub("?", text)
    text = _NULL.sub("?", text)
    text = text.replace("( ", "(").replace(" )", ")")
    return text.rstrip(";").strip()


# The script side ----------------------------------------------------------------------

def script_statements(path: Path, variables: dict[str, int]) -> list[str]:
    """The SQL statements a pgbench script sends for `variables` (its \\if branches
    taken as they would be), meta-commands other than \\if left out."""
    statements: list[str] = []
    taking = [True]  # one entry per open \if: whether its current branch is taken
    done = [False]  # whether some branch of that \if was taken already
    current: list[str] = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("--"):
            continue
        if line.startswith("\\"):
            command, _, rest = line[1:].partition(" ")
            if command == "if":
                value = _condition(rest, variables) and all(taking)
                taking.append(value)
                done.append(value)
            elif command == "elif":
                value = not done[-1] and _condition(rest, variables)
                taking[-1] = value
                done[-1] = done[-1] or value
            elif command == "else":
                taking[-1] = not done[-1]
                done[-1] = True
            elif command == "endif":
                taking.pop()
                done.pop()
            continue
        if not all(taking):
            continue
        current.append(line)
        if line.endswith(";") or line.endswith("\\gset"):
            text = " ".join(current).removesuffix("\\gset").strip()
            if text.rstrip(";").upper() not in TRANSACTION_MARKERS:
                statements.append(text)
            current = []
    assert not current, f"{path.name}: a statement does not end with ;"
    return statements


def _condition(expression: str, variables: dict[str, int]) -> bool:
    match = re.fullmatch(r":(\w+)\s*(=|>=|<=|<|>)\s*(\d+)", expression.strip())
    if match is None:
        raise ValueError(f"the checker reads only ':var op number' conditions: {expression}")
    name, operator, number = match.groups()
    value, limit = variables[name], int(number)
    return {"=": value == limit, ">=": value >= limit, "<=": value <= limit,
            "<": value < limit, ">": value > limit}[operator]


# The service side ---------------------------------------------------------------------

@dataclass
class Capture:
    """What the engines sent while recording: statements and transaction markers."""

    recording: bool = False
    entries: list[str] = field(default_factory=list)

    def statements(self) -> list[str]:
        return [e for e in self.entries if e not in TRANSACTION_MARKERS]

    def transactions(self) -> str:
        """The transaction structure: markers, and how many statements between them."""
        parts: list[str] = []
        count = 0
        for entry in self.entries:
            if entry in TRANSACTION_MARKERS:
                if count:
                    parts.append(f"[{count}]")
                parts.append(entry)
                count = 0
            else:
                count += 1
        return " ".join(parts)

    @contextmanager
    def request(self) -> Iterator[Capture]:
        self.entries.clear()
        self.recording = True
        try:
            yield self
        finally:
            self.recording = False


@contextmanager
def capturing() -> Iterator[Capture]:
    """Record what every engine sends (listeners on the Engine class) meanwhile."""
    capture = Capture()

    def on_execute(_conn: Any, _cursor: Any, statement: str, parameters: Any,
                   _context: Any, executemany: bool) -> None:
        if capture.recording:
            repeat = len(parameters) if executemany else 1
            capture.entries.extend([statement] * repeat)

    def marker(name: str) -> Callable[..., None]:
        def record(*_args: Any) -> None:
            if capture.recording:
                capture.entries.append(name)
        return record

    hooks: list[tuple[str, Callable[..., None]]] = [
        ("before_cursor_execute", on_execute), ("begin", marker("BEGIN")),
        ("commit", marker("COMMIT")), ("rollback", marker("ROLLBACK")),
    ]
    for name, hook in hooks:
        event.listen(Engine, name, hook)
    try:
        yield capture
    finally:
        for name, hook in hooks:
            event.remove(Engine, name, hook)


@dataclass(frozen=True)
class Case:
    """One request, the script that stands for it, and the script's branch variables."""

    name: str
    script: str
    variables: dict[str, int]


@dataclass
class Finding:
    case: Case
    service: list[str]
    script: list[str]
    transactions: str

    @property
    def matches(self) -> bool:
        return [normalise(s) for s in self.service] == [normalise(s) for s in self.script]

    def difference(self) -> str:
        service = [normalise(s) for s in self.service]
        script = [normalise(s) for s in self.script]
        for index, (a, b) in enumerate(zip(service, script, strict=False)):
            if a != b:
                return f"statement {index + 1}: service `{a}` / script `{b}`"
        return (f"the service sends {len(service)} statements, the script {len(script)}: "
                f"{(service[len(script):] or script[len(service):])[0]}")


def check(database_url: str, skus: list[str], *, print_all: bool = False) -> list[Finding]:
    """Send each case's request to the real app on `database_url` and compare."""
    import warnings

    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from order_service.api.app import create_app
    from order_service.application.access import Role
    from order_service.eventstore.api_keys import SqlApiKeys
    from order_service.eventstore.engine import make_engine
    from order_service.settings import Settings

    engine = make_engine(database_url, pool_size=1)
    try:
        token, _ = SqlApiKeys(engine, _now).create(f"sqlcheck-{uuid.uuid4().hex[:8]}",
                                                   Role.MERCHANT)
    finally:
        engine.dispose()
    headers = {"Authorization": f"Bearer {token}"}
    findings: list[Finding] = []
    with capturing() as capture, TestClient(create_app(Settings(database_url=database_url)),
                                            headers=headers) as client:
        client.get("/v1/shipping-methods").raise_for_status()  # marks the key used
        placed: list[str] = []
        for lines in (1, 2, 3):
            with capture.request():
                response = client.post("/v1/orders", json=order_body(skus[:lines]),
                                       headers={"Idempotency-Key": uuid.uuid4().hex})
            response.raise_for_status()
            placed.append(response.json()["id"])
            findings.append(_finding(Case(f"place an order of {lines} line(s)", "place_order",
                                          {"lines": lines}), capture))
        actions = [("pay", placed[0], {"payment_reference": "PAY-1"}, "pay", {}),
                   ("ship", placed[0], {"tracking_number": "3S1"}, "ship", {}),
                   ("cancel", placed[2], {"reason": "customer asked"}, "cancel", {"lines": 3})]
        for action, order_id, body, script, variables in actions:
            with capture.request():
                response = client.post(f"/v1/orders/{order_id}/{action}", json=body,
                                       headers={"Idempotency-Key": uuid.uuid4().hex})
            response.raise_for_status()
            findings.append(_finding(Case(action, script, variables), capture))
        with capture.request():
            client.get(f"/v1/orders/{placed[1]}").raise_for_status()
        findings.append(_finding(Case("get an order", "get_order", {}), capture))
    if print_all:
        for finding in findings:
            print(f"== {finding.case.name}: {finding.transactions}")
            for statement in finding.service:
                print("   ", " ".join(statement.split()))
    return findings


def _finding(case: Case, capture: Capture) -> Finding:
    script = script_statements(SCRIPTS / f"{case.script}.sql", case.variables)
    return Finding(case, capture.statements(), script, capture.transactions())


def _now() -> Any:
    from datetime import UTC, datetime
    return datetime.now(UTC)


def order_body(skus: list[str]) -> dict[str, Any]:
    """An order for one of each SKU, as the load's Lua script sends it."""
    address = {"name": "Ana García", "line1": "Calle Mayor 1", "city": "Madrid",
               "postal_code": "28013", "country": "ES"}
    return {"customer": {"name": "Ana García", "email": "ana@example.com",
                         "phone": "+34 600 000 000"},
            "lines": [{"sku": sku, "quantity": 1} for sku in skus],
            "shipping_address": address, "billing_address": address,
            "payment_method": "card", "shipping_method": "standard"}


def main() -> int:
    import seed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="print the service's statements")
    parser.add_argument("--admin-url", default=seed.ADMIN_URL)
    args = parser.parse_args()
    import random

    import history

    database = seed.create_database(args.admin_url, prefix="bench_sqlcheck")
    try:
        seed.migrate(database)
        products = seed.catalogue_products(3, lambda index: str(100001 + index))
        metadata = history.Metadata(random.Random(1), "sqlcheck", str(uuid.uuid4()))
        history.seed_catalogue(database.url, products, 1000, metadata)
        findings = check(database.url, [sku for sku, _, _ in products], print_all=args.print)
    finally:
        seed.drop_database(database, args.admin_url)
    for finding in findings:
        verdict = "same statements" if finding.matches else f"DIFFERENT: {finding.difference()}"
        print(f"{finding.case.name} ({finding.case.script}.sql): {verdict}")
    return 0 if all(f.matches for f in findings) else 1


if __name__ == "__main__":
    sys.exit(main())
