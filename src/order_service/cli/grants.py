"""`grants`: the SQL that lets a PostgreSQL role run the service, and no more.

The role that migrates owns the tables; the service's own role gets what serving needs:
reading and writing the read models and its bookkeeping, but on `events` only SELECT and
INSERT. Only an owner may ALTER (disable the append-only triggers), DROP or TRUNCATE a
table, so with these grants a leaked service password cannot rewrite history.
"""

from __future__ import annotations

import argparse
import re

SCHEMA = "public"
# Tables the service may read but must never change: the event store (append-only) and
# the migrations' own bookkeeping.
APPEND_ONLY = "events"
READ_ONLY = "alembic_version"
_ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")

GRANTS = """\
-- Run as the role that owns the schema (the one ORDER_SERVICE_MIGRATION_DATABASE_URL
-- names), in the service's database, after `order-service migrate`. Safe to run again.
GRANT USAGE ON SCHEMA {schema} TO {role};
-- Every table and sequence there now ...
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role};
-- ... and every one the owner makes later (new migrations), without running this again.
ALTER DEFAULT PRIVILEGES IN SCHEMA {schema}
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role};
-- Then take back what the service must never do. Not being the owner, it can neither
-- ALTER a table (disable the append-only triggers) nor DROP one.
REVOKE UPDATE, DELETE, TRUNCATE ON {append_only} FROM {role};
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {read_only} FROM {role};
"""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `grants`."""
    grants = commands.add_parser(
        "grants", help="print the SQL that lets a PostgreSQL role run the service "
        "(SELECT and INSERT only on events); run it as the owner after migrating")
    grants.add_argument("--role", required=True, type=_role,
                        help="the service's role, as in ORDER_SERVICE_DATABASE_URL")
    grants.set_defaults(run=_grants)


def grants_sql(role: str) -> str:
    """The GRANT and REVOKE statements for the service role `role`."""
    return GRANTS.format(schema=SCHEMA, role=_quoted(role), append_only=APPEND_ONLY,
                         read_only=READ_ONLY)


def _role(text: str) -> str:
    if not _ROLE_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a role name: letters, digits, '_' or '$', at most 63, "
            "not starting with a digit")
    return text


def _quoted(role: str) -> str:
    # Quoted, so a role made with capitals (CREATE ROLE "Shop") is the one named.
    return '"' + role.replace('"', '""') + '"'


def _grants(args: argparse.Namespace) -> int:
    print(grants_sql(args.role), end="")
    return 0
