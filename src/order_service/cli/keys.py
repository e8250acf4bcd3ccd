"""`api-key create|list|revoke`: the keys clients authenticate with."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from order_service.adapters.sql.api_keys import SqlApiKeys
from order_service.adapters.sql.key_cache import REVOCATION_TAKES_EFFECT_WITHIN
from order_service.application.access import Role
from order_service.bootstrap import bootstrap
from order_service.settings import get_settings


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `api-key` and its actions."""
    keys = commands.add_parser("api-key", help="create, list or revoke API keys")
    actions = keys.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create", help="make a key and print it (alone, on standard output) once")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", required=True, type=_key_name,
                        help="a name to list and revoke it by, e.g. storefront-eu")
    create.set_defaults(run=_create_key)
    listing = actions.add_parser("list", help="names, roles, created, last used")
    listing.set_defaults(run=_list_keys)
    revoke = actions.add_parser("revoke", help="stop a key working, at once, everywhere")
    revoke.add_argument("name")
    revoke.set_defaults(run=_revoke_key)


def _key_name(text: str) -> str:
    name = text.strip()
    if not (0 < len(name) <= 100 and name.isprintable()):
        raise argparse.ArgumentTypeError("a key name is 1 to 100 printable characters")
    return name


@contextmanager
def _api_keys() -> Iterator[SqlApiKeys]:
    with bootstrap(get_settings(), pool_size=1) as service:
        service.require_schema()
        yield service.api_keys


def _create_key(args: argparse.Namespace) -> int:
    with _api_keys() as keys:
        token, info = keys.create(args.name, Role(args.role))
    # The key alone on standard output, so `KEY=$(order-service api-key create ...)` works.
    print(token)
    print(f"created {info.role.value} key {info.name!r}; it is shown only now, "
          "store it safely", file=sys.stderr)
    return 0


def _list_keys(_args: argparse.Namespace) -> int:
    with _api_keys() as keys:
        rows = keys.list()
    print(f"{'NAME':<24} {'ROLE':<10} {'KEY':<16} {'CREATED':<20} {'LAST USED':<20} STATE")
    for key in rows:
        state = "revoked " + _when(key.revoked_at) if key.revoked_at else "active"
        print(f"{key.name:<24} {key.role.value:<10} {key.shown_prefix + '...':<16} "
              f"{_when(key.created_at):<20} {_when(key.last_used_at) or 'never':<20} {state}")
    return 0


def _revoke_key(args: argparse.Namespace) -> int:
    with _api_keys() as keys:
        info = keys.revoke(args.name)
    # Running servers drop the key from their caches within this bound; returning only
    # then means that "revoked" printed here is true of every server when it is read.
    time.sleep(REVOCATION_TAKES_EFFECT_WITHIN)
    print(f"revoked {info.role.value} key {info.name!r}; it is refused from now on",
          file=sys.stderr)
    return 0


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")
