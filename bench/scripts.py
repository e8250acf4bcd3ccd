"""pgbench scripts made from the statements the service sent (captured by sqlcheck.py).

Each statement keeps its text as the database received it; only its parameters change:

- a value that must differ from one transaction to the next becomes an expression of
  pgbench variables: the order's id (and any text containing it, such as a stream id
  or a JSON document) comes from `:oid` (a fresh random number per placement) or from
  `:n` (the number of a seeded order, whose id is UUID(int=n), for pay, ship, cancel and
  GET); the Idempotency-Key from `:oid`; each SKU of the order from `:s1`..`:s3`
  (random distinct SKUs, in order, as the load picks them), also inside documents;
- a value that differed between the last two repetitions of the request and that
  nothing above explains (a hash of the Idempotency-Key, a random id, the time) is made
  afresh per transaction in the same shape (hex digits, a UUID, now());
- a value an earlier statement of the same request returned (an order number taken
  with RETURNING, say) is read back with `\\gset` and passed on, as the service does;
- everything else is a constant, passed with -D (pgbench would read a JSON literal's
  `:` as a variable), and cast to the type the server infers for that parameter.

The kept statements are those the service sends for the request, minus the driver's
housekeeping: the pool's `;` pre-ping and `DEALLOCATE ALL` after a rollback. Should a
value that must vary still end up constant, pgbench reports the unique violation it
causes and the harness notes it beside a missing figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import psycopg

if TYPE_CHECKING:
    from sqlcheck import Command
    from wire import Statement

HOUSEKEEPING = frozenset({"", "DEALLOCATE ALL"})
PLACEHOLDER = re.compile(r"\$(\d+)")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
RESULT_MIN_LENGTH = 4  # shorter returned values (a version, a count) match by accident
MAX_LINES = 3

SKUS = ("\\set s1 random(:sku_first, :sku_last - 2)",
        "\\set s2 random(:s1 + 1, :sku_last - 1)",
        "\\set s3 random(:s2 + 1, :sku_last)")
PLACEMENT = "lpad(to_hex(:oid::BIGINT), 32, '0')"
SEEDED = "lpad(to_hex(:n::BIGINT), 32, '0')"
IDEMPOTENCY_KEY = "('bench-' || :oid::BIGINT)"
HEADERS = {
    "place_order": ("POST /v1/orders: a fresh order of 1-3 lines (distinct SKUs)",
                    ["\\set lines random(1, 3)",
                     "\\set oid random(1, 4611686018427387903)", *SKUS], PLACEMENT),
    "pay": ("POST /v1/orders/{id}/pay: the next order of this client's slice of pending "
            "orders (-D base, per_client, seq=0)",
            ["\\set seq :seq + 1", "\\set n :base + :client_id * :per_client + :seq",
             "\\set oid random(1, 4611686018427387903)"], SEEDED),
    "ship": ("POST /v1/orders/{id}/ship: the next order of this client's slice of paid "
             "orders (-D base, per_client, seq=0)",
             ["\\set seq :seq + 1", "\\set n :base + :client_id * :per_client + :seq",
              "\\set oid random(1, 4611686018427387903)"], SEEDED),
    "cancel": ("POST /v1/orders/{id}/cancel: the next order of this client's slice of "
               "pending orders (-D base, per_client, seq=0); its 1-3 lines' stock goes back",
               ["\\set seq :seq + 1", "\\set n :base + :client_id * :per_client + :seq",
                "\\set oid random(1, 4611686018427387903)", "\\set lines random(1, 3)",
                *SKUS], SEEDED),
    "get_order": ("GET /v1/orders/{id}: a random one of the seeded orders 1..:orders",
                  ["\\set n random(1, :orders)", "\\set oid random(1, 4611686018427387903)"],
                  SEEDED),
}


@dataclass(frozen=True)
class Known:
    """What a captured request had of its own: the values pgbench must vary."""

    order_id: str
    idempotency_key: str | None
    skus: list[str]


@dataclass
class Script:
    """A pgbench script and the -D constants it needs."""

    text: str
    variables: dict[str, str] = field(default_factory=dict)


def kept(statements: list[Statement]) -> list[Statement]:
    """The statements of the request, without the driver's housekeeping."""
    return [s for s in statements if s.text.strip().rstrip(";").strip() not in HOUSEKEEPING]


def normalise(text: str) -> str:
    """A statement's text with its whitespace collapsed; a BEGIN naming PostgreSQL's
    default isolation level as a plain BEGIN (drivers send either, connection by
    connection)."""
    text = " ".join(text.split()).rstrip(";").strip()
    return "BEGIN" if text.upper() == "BEGIN ISOLATION LEVEL READ COMMITTED" else text


def statements_of(text: str) -> list[str]:
    """A script's statements and branch markers, constants' names made alike (to diff)."""
    found, current = [], []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("--") or line.startswith("\\set"):
            continue
        if line.startswith("\\") and not current:
            found.append(line)
            continue
        current.append(line)
        if line.endswith(";") or "\\gset" in line:
            found.append(re.sub(r":k\d+", ":k", normalise(" ".join(current))))
            current = []
    return found


def generate(commands: list[Command], database_url: str) -> dict[str, Script]:
    """One script per script name of `commands`, with a \\if branch per line count."""
    types = _parameter_types(database_url, [s for c in commands for s in kept(c.statements)])
    made: dict[str, Script] = {}
    for name, (what, header, order) in HEADERS.items():
        mine = [c for c in commands if c.script == name]
        if not mine:
            continue
        script = Script("")
        constants: dict[str, str] = {}
        lines = [f"-- {what}.",
                 "-- Made by bench/sqlcheck.py from the statements the service sent; do not "
                 "edit:", "-- `.venv/bin/python bench/sqlcheck.py --write` refreshes it. "
                 "Run by bench/harness.py, which passes the -D constants.", *header]
        for index, command in enumerate(sorted(mine, key=lambda c: c.lines)):
            if command.lines:
                keyword = "\\if" if index == 0 else "\\elif" if index < len(mine) - 1 else "\\else"
                lines.append(keyword + (f" :lines = {command.lines}" if keyword != "\\else"
                                        else ""))
            lines.append(f"-- {command.name}: {command.round_trips} round trips, "
                         f"{command.transactions()}")
            lines += _statements(command, order, types, constants)
        if any(c.lines for c in mine):
            lines.append("\\endif")
        script.text = "\n".join(lines) + "\n"
        script.variables = {var: value for value, var in constants.items()}
        made[name] = script
    return made


def _statements(command: Command, order: str, types: dict[str, list[str]],
                constants: dict[str, str]) -> list[str]:
    statements = kept(command.statements)
    substitutions = _substitutions(command.known, order)
    varying = _varying(statements, kept(command.previous))
    fresh: dict[str, str] = {}
    returned: dict[str, str] = {}  # value -> :variable, from earlier single-row results
    gset: set[int] = set()
    producers: dict[str, int] = {}
    texts = []
    for index, statement in enumerate(statements):
        kinds = types.get(statement.text, [])

        def parameter(match: re.Match[str], statement: Statement = statement,
                      kinds: list[str] = kinds, index: int = index) -> str:
            position = int(match.group(1)) - 1
            value = statement.params[position] if position < len(statement.params) else None
            # The statement's own cast, if it has one, says the type already.
            cast = "" if match.string.startswith("::", match.end()) else (
                f"::{kinds[position]}" if position < len(kinds) else "")
            if value is None:
                return f"NULL{cast}"
            expression = substitutions.get(value)
            if expression is None and value in returned:
                gset.add(producers[value])
                expression = returned[value]
            if expression is None and (index, position) in varying:
                expression = _fresh(value, fresh)
            if expression is None:
                expression = _containing(value, substitutions, constants)
            return f"({expression}){cast}"

        texts.append(PLACEHOLDER.sub(parameter, colons_escaped(statement.text.strip().rstrip(";"))))
        # \gset names a variable after each column, so only plain names will do.
        if len(statement.rows) == 1 and all(IDENTIFIER.fullmatch(c) for c in statement.columns):
            for column, value in zip(statement.columns, statement.rows[0], strict=False):
                if value is not None and len(value) >= RESULT_MIN_LENGTH \
                        and value not in returned:
                    returned[value] = f":r{index}_{column}"
                    producers[value] = index
    return [text + (f" \\gset r{index}_" if index in gset else ";")
            for index, text in enumerate(texts)]


def colons_escaped(text: str) -> str:
    """`text` with each `:` inside a string literal written as an escape (E'..\\072..'):
    pgbench reads `:name` anywhere in a statement as a variable, literals included (a
    format such as 'HH24:MI:SS'), and has no way to escape it."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "-" and text.startswith("--", index):
            end = text.find("\n", index)
            end = len(text) if end < 0 else end
            out.append(text[index:end])
            index = end
        elif char == '"':
            end = text.find('"', index + 1)
            end = len(text) - 1 if end < 0 else end
            out.append(text[index:end + 1])
            index = end + 1
        elif char == "'":
            end = index + 1
            while end < len(text) and not (text[end] == "'" and text[end + 1:end + 2] != "'"):
                end += 2 if text[end] == "'" else 1
            literal = text[index + 1:end]
            before = text[max(0, index - 2):index]
            escaped = before[-1:] in ("E", "e") and not (before[:1].isalnum() or before[:1] == "_")
            if ":" in literal:
                body = literal if escaped else literal.replace("\\", "\\\\")
                # E'...' after a word (DATE'...') needs a space to stay one token apart.
                prefix = "'" if escaped else (" E'" if before[-1:].isalnum() else "E'")
                out.append(prefix + body.replace(":", "\\072") + "'")
            else:
                out.append(f"'{literal}'")
            index = end + 1
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _varying(statements: list[Statement], previous: list[Statement]) -> set[tuple[int, int]]:
    """(statement, parameter) positions whose value differed from the previous
    repetition of the request: values made afresh for each request."""
    # Paired by text and occurrence, not by place: a statement from another connection
    # may land anywhere in between.
    earlier: dict[str, list[Statement]] = {}
    for statement in previous:
        earlier.setdefault(normalise(statement.text), []).append(statement)
    seen: dict[str, int] = {}
    found = set()
    for index, now in enumerate(statements):
        text = normalise(now.text)
        occurrence = seen.get(text, 0)
        seen[text] = occurrence + 1
        if occurrence >= len(earlier.get(text, [])):
            continue
        before = earlier[text][occurrence]
        found |= {(index, position) for position, (a, b) in
                  enumerate(zip(now.params, before.params, strict=False)) if a != b}
    return found


HEX = re.compile(r"[0-9a-f]+")
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _fresh(value: str, made_before: dict[str, str]) -> str | None:
    """For a value made afresh per request that nothing else explains (a hashed key, a
    random id, the time): SQL making a fresh one of the same shape per transaction, the
    same for the same value within a request. None: a constant will do."""
    if value in made_before:
        return made_before[value]
    tag = f"'v{len(made_before)}-' || :oid::BIGINT"
    made = None
    if UUID_TEXT.fullmatch(value):
        made = f"md5({tag})::UUID::TEXT"
    elif HEX.fullmatch(value) and len(value) in (32, 40, 64):
        made = f"left(encode(sha256(({tag})::BYTEA), 'hex'), {len(value)})"
    elif _is_timestamp(value):
        made = "now()"
    if made is not None:
        made_before[value] = made
    return made


def _is_timestamp(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return len(value) >= 19


def _substitutions(known: Known, order: str) -> dict[str, str]:
    """Each value of the request's own, and the SQL that makes a fresh one."""
    found = {known.order_id: f"{order}::UUID::TEXT",
             known.order_id.replace("-", ""): order}
    if known.idempotency_key:
        found[known.idempotency_key] = IDEMPOTENCY_KEY
    for number, sku in enumerate(known.skus[:MAX_LINES], start=1):
        found[sku] = f":s{number}::TEXT"
    return found


def _containing(value: str, substitutions: dict[str, str], constants: dict[str, str]) -> str:
    """A constant, with the request's own values inside it replaced (a JSON document
    naming the order or its SKUs, a stream id, an array of SKUs ...). Needles are
    constants too, so that the script's text is the same from one capture to the next."""
    expression = f":{_constant(value, constants)}::TEXT"
    for needle, replacement in substitutions.items():
        if len(needle) < 6:
            continue
        if needle.isdigit():  # a SKU: wherever it stands as a whole number
            pattern, function, flags = f"(?<![0-9]){needle}(?![0-9])", "regexp_replace", ", 'g'"
            found = re.search(pattern, value) is not None
        else:
            pattern, function, flags = needle, "replace", ""
            found = needle in value
        if found:
            expression = (f"{function}({expression}, :{_constant(pattern, constants)}::TEXT, "
                          f"{replacement}{flags})")
    return expression


def _constant(value: str, constants: dict[str, str]) -> str:
    """The -D variable holding `value` (one per distinct value)."""
    return constants.setdefault(value, f"k{len(constants) + 1}")


def _parameter_types(database_url: str, statements: list[Statement]) -> dict[str, list[str]]:
    """The type the server infers for each parameter of each statement (the driver's own
    type where the server cannot tell)."""
    found: dict[str, list[int]] = {}
    with psycopg.connect(database_url, autocommit=True) as connection:
        pgconn = connection.pgconn
        for statement in statements:
            if statement.text in found or not statement.params:
                continue
            for types in (None, statement.types):
                prepared = pgconn.prepare(b"", statement.text.encode(), types or None)
                if prepared.status == psycopg.pq.ExecStatus.COMMAND_OK:
                    described = pgconn.describe_prepared(b"")
                    found[statement.text] = [described.param_type(i)
                                             for i in range(described.nparams)]
                    break
            else:
                found[statement.text] = list(statement.types)
        oids = sorted({oid for types in found.values() for oid in types if oid})
        names = dict(connection.execute(
            "SELECT oid::bigint, format_type(oid, NULL) FROM pg_type WHERE oid = ANY(%s)",
            (oids,)).fetchall())
    return {text: [names.get(oid, "text") for oid in types] for text, types in found.items()}
