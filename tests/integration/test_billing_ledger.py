"""examples/billing_sync.py's ledger on a real file system: a restart resumes from exactly
what its checkpoint covers. (tests/e2e/test_billing_sync.py runs the script against a
server and kills it; these check its recovery rules one at a time, with no server.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.example_scripts import load_example

billing = load_example("billing_sync")
LINES: list[dict[str, object]] = [
    {"position": n, "order_id": f"order-{n}", "type": "OrderPlaced", "number": n,
     "total": 1_000 * n, "currency": "EUR"} for n in (1, 2, 3)]


def synced(state_dir: Path, lines: list[dict[str, object]]) -> int:
    """A state directory after a sync that wrote `lines` and checkpointed them; the size."""
    state_dir.mkdir(exist_ok=True)
    billing.recover(state_dir)
    size: int = billing.append_page(state_dir, 0, lines)
    billing.write_checkpoint(state_dir, billing.Checkpoint(after=len(lines),
                                                           ledger_bytes=size))
    return size


def test_lines_written_after_the_last_checkpoint_are_cut_off_on_restart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    size = synced(tmp_path, LINES[:2])
    # A kill between fsyncing the ledger and renaming the checkpoint leaves this behind.
    billing.append_page(tmp_path, size, LINES[2:])
    written = (tmp_path / billing.LEDGER).stat().st_size

    resumed = billing.recover(tmp_path)

    assert resumed == billing.Checkpoint(after=2, ledger_bytes=size)
    assert (tmp_path / billing.LEDGER).stat().st_size == size
    assert f"dropped {written - size} bytes" in capsys.readouterr().err
    assert set(billing.known_orders(tmp_path)) == {"order-1", "order-2"}


def test_a_torn_last_line_is_cut_off_and_the_next_page_replaces_it(tmp_path: Path) -> None:
    size = synced(tmp_path, LINES[:2])
    with (tmp_path / billing.LEDGER).open("ab") as ledger:
        ledger.write(b'{"position": 3, "order_')

    resumed = billing.recover(tmp_path)
    billing.append_page(tmp_path, resumed.ledger_bytes, LINES[2:])

    text = (tmp_path / billing.LEDGER).read_text(encoding="utf-8")
    assert [json.loads(line) for line in text.splitlines()] == LINES
    assert resumed.ledger_bytes == size


def test_a_ledger_shorter_than_its_checkpoint_stops_the_sync_and_is_left_alone(
    tmp_path: Path
) -> None:
    synced(tmp_path, LINES)
    (tmp_path / billing.LEDGER).write_bytes(b"")

    with pytest.raises(billing.SyncError, match="was truncated or replaced"):
        billing.recover(tmp_path)

    assert (tmp_path / billing.LEDGER).read_bytes() == b""


def test_a_ledger_without_its_checkpoint_stops_the_sync(tmp_path: Path) -> None:
    synced(tmp_path, LINES)
    (tmp_path / billing.CHECKPOINT).unlink()

    with pytest.raises(billing.SyncError, match="does not; move the ledger away"):
        billing.recover(tmp_path)


def test_a_first_start_begins_an_empty_ledger_at_position_zero(tmp_path: Path) -> None:
    assert billing.recover(tmp_path) == billing.Checkpoint(after=0, ledger_bytes=0)
    assert billing.read_checkpoint(tmp_path) == billing.Checkpoint(after=0, ledger_bytes=0)
    assert (tmp_path / billing.LEDGER).read_bytes() == b""
