"""What reaches a log line: secrets masked, errors named without their stack trace, and the
format the settings pick. No server: the formatters and redact() on their own.

That a real server's log holds none of this is tests/e2e/test_edge.py's and test_logs.py's.
"""

from __future__ import annotations

import json
import logging
import sys

import pytest

from order_service.observability.logs import (
    ACCESS_LOGGER,
    JsonFormatter,
    RedactingFormatter,
    log_config,
    redact,
)
from order_service.settings import Settings


def test_log_lines_mask_keys_bearer_tokens_and_signatures() -> None:
    line = ('auth="Bearer os_live_Zx9-abc_DEF" key=os_live_Qq1 '
            "Signature: t=1700000000,v1=5f2b6c9d0e1f secret=whsec_abc123")

    masked = redact(line)

    for secret in ("os_live_Zx9-abc_DEF", "os_live_Qq1", "5f2b6c9d0e1f", "abc123"):
        assert secret not in masked
    assert "t=1700000000" in masked


def test_the_server_log_formatter_withholds_stack_traces_and_masks_secrets() -> None:
    formatter = RedactingFormatter(fmt="%(levelprefix)s %(message)s", use_colors=False)
    try:
        raise ValueError("while using os_live_SECRET")
    except ValueError:
        record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1,
                                   "failed with key %s", ("os_live_SECRET",), sys.exc_info())

    text = formatter.format(record)

    assert "os_live_SECRET" not in text
    assert "Traceback" not in text
    assert "ValueError" in text




def test_a_json_line_masks_secrets_and_names_an_error_without_its_stack_trace() -> None:
    try:
        raise ValueError("while using os_live_SECRET")
    except ValueError:
        record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1,
                                   'failed with key %s and "Bearer tok_123"',
                                   ("os_live_SECRET",), sys.exc_info())

    text = JsonFormatter().format(record)

    entry = json.loads(text)
    assert "\n" not in text
    assert "os_live_SECRET" not in text
    assert "tok_123" not in text
    assert "Traceback" not in text
    assert entry["error"].startswith("(ValueError;")
    assert entry["level"] == "error"


@pytest.mark.parametrize(("log_format", "formatter"), [("json", "json"), ("text", "access")])
def test_the_log_format_setting_picks_json_lines_or_text_for_people(
    log_format: str, formatter: str
) -> None:
    configured = Settings(log_format=log_format.upper(), log_level="WARNING")  # type: ignore[arg-type]

    config = log_config(configured.log_level, configured.log_format)

    assert config["handlers"]["access"]["formatter"] == formatter
    assert config["loggers"][ACCESS_LOGGER]["level"] == "WARNING"
