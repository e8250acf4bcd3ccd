"""`order-service export` as an operator runs it: the same orders as the HTTP export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.e2e.builders import (
    address,
    create_product,
    create_shipping_method,
    customer,
    get_json,
    line,
    place_order,
)
from tests.e2e.exports import (
    EXPORT,
    act,
    copies_of,
    exported_orders,
    ndjson_records,
    place_orders,
    varied_shop,
)

COMMAND = Path(sys.executable).with_name("order-service")
PREVIOUS = b"number,id\r\n1,an export from yesterday\r\n"
# What JSON must escape, and what it must not: quotes, a backslash, other scripts, emoji.
AWKWARD_TEXT = 'Zoë "Zo" O\'Brien \\ 東京 😀 </script>'


def _export(*args: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run `order-service export ARGS` on `database_url` with only that setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
    env["ORDER_SERVICE_DATABASE_URL"] = database_url
    return subprocess.run([str(COMMAND), "export", *args], cwd=cwd, env=env,
                          capture_output=True, timeout=60, check=False)


def _succeeded(result: subprocess.CompletedProcess[bytes]) -> str:
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    return stderr


def _http_export(client: TestClient, export_format: str, **filters: object) -> bytes:
    """The HTTP export of every matching order as one page, without its trailer line.

    A file has none: it is renamed into place only once whole.
    """
    response = client.get(EXPORT, params={**filters, "format": export_format, "limit": 1000})
    assert response.status_code == 200, response.text
    assert "link" not in response.headers
    *lines, trailer = response.content.splitlines(keepends=True)
    assert trailer.startswith((b'{"complete":true,', b"#complete,")), trailer
    return b"".join(lines)


def _leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if path.name.endswith(".partial"))


@pytest.mark.parametrize("export_format", ["csv", "ndjson"])
def test_the_file_holds_the_same_bytes_as_the_http_export(
    client: TestClient, database_url_for_test: str, tmp_path: Path, export_format: str,
) -> None:
    varied_shop(client)
    out = tmp_path / f"orders.{export_format}"

    _succeeded(_export("--format", export_format, "--out", str(out),
                       database_url=database_url_for_test, cwd=tmp_path))

    assert out.read_bytes() == _http_export(client, export_format)
    assert b"never arrived" in out.read_bytes()  # a refund's reason: refunds are in it
    assert _leftovers(tmp_path) == []


def test_a_json_file_is_an_array_of_the_orders_the_http_export_lists(
    client: TestClient, database_url_for_test: str, tmp_path: Path,
) -> None:
    varied_shop(client)
    out = tmp_path / "orders.json"

    _succeeded(_export("--format", "json", "--out", str(out),
                       database_url=database_url_for_test, cwd=tmp_path))

    assert json.loads(out.read_bytes()) == exported_orders(client, limit=4)


def test_the_filters_select_the_orders_the_http_export_selects(
    client: TestClient, database_url_for_test: str, tmp_path: Path,
) -> None:
    orders = place_orders(client, 7)
    act(client, orders[2], "pay")  # changed before `since`: only --updated-since drops it
    since = act(client, orders[3], "pay")["updated_at"]
    act(client, orders[3], "ship")
    act(client, orders[0], "pay")  # placed too early: only --placed-from drops it
    act(client, orders[6], "pay")  # placed at placed_to: only --placed-to drops it
    act(client, orders[4], "cancel")  # only --status drops it
    act(client, orders[5], "pay")
    filters = {"status": ["paid", "shipped"], "placed_from": orders[1]["placed_at"],
               "placed_to": orders[6]["placed_at"], "updated_since": since}
    out = tmp_path / "orders.csv"

    _succeeded(_export("--format", "csv", "--out", str(out), "--status", "paid",
                       "--status", "shipped", "--placed-from", filters["placed_from"],
                       "--placed-to", filters["placed_to"], "--updated-since", since,
                       database_url=database_url_for_test, cwd=tmp_path))

    assert out.read_bytes() == _http_export(client, "csv", **filters)
    assert [o["id"] for o in exported_orders(client, **filters)] == [
        orders[3]["id"], orders[5]["id"]]
    for name in filters:  # every filter narrows this selection
        others = {key: value for key, value in filters.items() if key != name}
        assert _http_export(client, "csv", **others) != out.read_bytes(), name


def test_text_json_must_escape_is_exported_as_the_api_shows_it(
    client: TestClient, database_url_for_test: str, tmp_path: Path,
) -> None:
    product = create_product(client, name=f"Mug {AWKWARD_TEXT}")
    method = create_shipping_method(client, name=f"Courier {AWKWARD_TEXT}")
    paid, cancelled = [
        place_order(client, [line(product["sku"])], method["code"],
                    customer=customer(name=AWKWARD_TEXT),
                    shipping_address=address(line1=AWKWARD_TEXT, line2=None))
        for _ in range(2)]
    act(client, paid, "pay", payment_reference=f"PAY {AWKWARD_TEXT}")
    act(client, cancelled, "cancel", reason=AWKWARD_TEXT)
    out = tmp_path / "orders.ndjson"

    _succeeded(_export("--out", str(out), database_url=database_url_for_test, cwd=tmp_path))

    assert ndjson_records(out.read_text()) == [
        get_json(client, f"/v1/orders/{order['id']}") for order in (paid, cancelled)]


def test_the_progress_bar_on_stderr_reaches_the_number_of_orders(
    client: TestClient, database_url_for_test: str, tmp_path: Path,
) -> None:
    orders = place_orders(client, 7)
    act(client, orders[0], "pay")

    stderr = _succeeded(_export("--out", str(tmp_path / "orders.ndjson"), "--status",
                                "pending_payment", database_url=database_url_for_test,
                                cwd=tmp_path))

    assert "6/6" in stderr
    assert "100%" in stderr
    assert "exported 6 orders" in stderr


# Where the bytes go is file handling, the same on every database: SQLite is enough.
@pytest.mark.parametrize("backend", ["sqlite"])
def test_out_dash_writes_the_export_to_standard_output(
    client: TestClient, database_url_for_test: str, tmp_path: Path,
) -> None:
    varied_shop(client)
    workdir = tmp_path / "workdir"
    workdir.mkdir()

    result = _export("--format", "csv", "--out", "-", database_url=database_url_for_test,
                     cwd=workdir)

    _succeeded(result)
    assert result.stdout == _http_export(client, "csv")
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_reader_closing_standard_output_early_stops_the_export_with_status_141(
    client: TestClient, database_url_for_test: str, tmp_path: Path,
) -> None:
    copies_of(database_url_for_test, place_orders(client, 1)[0], 999)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
    env["ORDER_SERVICE_DATABASE_URL"] = database_url_for_test
    with subprocess.Popen([str(COMMAND), "export", "--format", "csv", "--out", "-"],
                          cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as export:
        assert export.stdout is not None
        assert export.stderr is not None
        # The first line is in; the rest (about 600 KB) cannot fit in the pipe.
        assert export.stdout.readline().startswith(b"number,id,")
        export.stdout.close()
        status = export.wait(timeout=60)
        stderr = export.stderr.read().decode()

    # Not 0, which would say the whole export was written; as cat would, it says nothing.
    assert (status, "Traceback" in stderr, "exported" in stderr) == (141, False, False), stderr


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_existing_file_is_replaced_when_the_export_succeeds(
    client: TestClient, database_url_for_test: str, tmp_path: Path,
) -> None:
    place_orders(client, 3)
    out = tmp_path / "orders.csv"
    out.write_bytes(PREVIOUS)

    _succeeded(_export("--format", "csv", "--out", str(out),
                       database_url=database_url_for_test, cwd=tmp_path))

    assert out.read_bytes() == _http_export(client, "csv")
    assert _leftovers(tmp_path) == []


# -- failures (they fail before any database is reached, or on a database of their own) --


def test_a_bad_placed_from_exits_2_with_the_fix_and_writes_no_file(tmp_path: Path) -> None:
    out = tmp_path / "orders.csv"

    result = _export("--format", "csv", "--out", str(out), "--placed-from", "last monday",
                     database_url=f"sqlite:///{tmp_path / 'shop.db'}", cwd=tmp_path)

    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert "Traceback" not in stderr
    assert "--placed-from" in stderr
    assert "'last monday' is not an ISO 8601 time, e.g. 2026-11-01" in stderr
    assert list(tmp_path.iterdir()) == []


def test_a_bad_argument_leaves_an_existing_file_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "orders.csv"
    out.write_bytes(PREVIOUS)

    result = _export("--out", str(out), "--status", "paid", "--placed-to", "2026-02-30",
                     database_url=f"sqlite:///{tmp_path / 'shop.db'}", cwd=tmp_path)

    assert result.returncode == 2
    assert "--placed-to: '2026-02-30' is not an ISO 8601 time" in result.stderr.decode()
    assert out.read_bytes() == PREVIOUS
    assert _leftovers(tmp_path) == []


def test_a_database_never_migrated_leaves_an_existing_file_and_says_to_migrate(
    tmp_path: Path,
) -> None:
    out = tmp_path / "orders.csv"
    out.write_bytes(PREVIOUS)

    result = _export("--format", "csv", "--out", str(out),
                     database_url=f"sqlite:///{tmp_path / 'empty.db'}", cwd=tmp_path)

    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert "Traceback" not in stderr
    assert "run `order-service migrate`" in stderr
    assert out.read_bytes() == PREVIOUS
    assert _leftovers(tmp_path) == []


def test_an_unreachable_database_leaves_an_existing_file_and_names_the_fix(
    tmp_path: Path,
) -> None:
    out = tmp_path / "orders.csv"
    out.write_bytes(PREVIOUS)

    result = _export("--format", "csv", "--out", str(out),
                     database_url="postgresql://nobody@127.0.0.1:1/none", cwd=tmp_path)

    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert "Traceback" not in stderr
    assert "check ORDER_SERVICE_DATABASE_URL" in stderr
    assert out.read_bytes() == PREVIOUS
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_out_file_that_cannot_be_written_exits_2_naming_it_without_a_traceback(
    client: TestClient, database_url_for_test: str, tmp_path: Path,
) -> None:
    place_orders(client, 2)
    out = tmp_path / "no-such-directory" / "orders.csv"

    result = _export("--format", "csv", "--out", str(out),
                     database_url=database_url_for_test, cwd=tmp_path)

    stderr = result.stderr.decode()
    assert (result.returncode, "Traceback" in stderr) == (2, False), stderr
    assert str(out) in stderr
