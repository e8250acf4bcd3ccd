"""Log configuration for `order-service serve`: JSON lines (or text), secrets redacted.

Log lines end up in shared log storage that more people can read than can read the
database. So API keys, bearer tokens and notification signatures are masked in every
line, and exceptions are logged by type only: a stack trace can carry SQL, bound values
and secrets, and none of those belong in a log line.

Every line is one JSON object (`time`, `level`, `logger`, `message`, and the request id
when it was written while serving a request); each answered request gets one access
line from `order_service.access` with its method, route template, path, status,
duration and client. `ORDER_SERVICE_LOG_FORMAT=text` gives uvicorn's usual lines instead,
for a human at a terminal; there, control characters in what a line quotes (a request
path with %0A, an ESC sequence) are written as escapes, so no line can be forged.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import time
from contextvars import ContextVar
from typing import Any, Literal

from uvicorn.logging import DefaultFormatter

LogFormat = Literal["json", "text"]

REDACTED = "[redacted]"
SECRET_PATTERNS = (
    re.compile(r"os_live_[A-Za-z0-9_\-]+"),
    re.compile(r"(?i)(?<=bearer )[^\s\"',]+"),
    re.compile(r"(?<=v1=)[0-9a-fA-F]+"),
    re.compile(r"(?i)(?<=whsec_)[A-Za-z0-9_\-]+"),
)
ACCESS_LOGGER = "order_service.access"
# What an access line carries besides its message, in this order.
ACCESS_FIELDS = ("method", "route", "path", "status", "duration_ms", "request_id", "client")

# The id of the request being served, for every line logged while serving it.
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)

# Every secret pattern above contains one of these; most lines (the access log's) contain
# none, and one lowercase scan is much cheaper than four regular expressions.
_MARKERS = ("os_live_", "bearer ", "v1=", "whsec_")


def _may_hold_a_secret(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in _MARKERS)


def redact(text: str) -> str:
    """`text` with every API key, bearer token and signature masked."""
    if not _may_hold_a_secret(text):
        return text
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: each could end a
# line early (a forged line after it) or drive the reader's terminal (ESC sequences).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    code = ord(character)
    return _NAMED_ESCAPES.get(character) or (f"\\x{code:02x}" if code < 0x100
                                              else f"\\u{code:04x}")


def escape_controls(text: str) -> str:
    """`text` on one line, with control characters written as escapes (\\n, \\x1b)."""
    # The first test spares almost every line the regular expression.
    if text.isascii() and text.isprintable():
        return text
    return _CONTROL_CHARACTERS.sub(_escape, text)


def _withheld(exc_info: Any) -> str:
    kind = exc_info[0].__name__ if exc_info and exc_info[0] else "error"
    return f"({kind}; stack trace withheld from the log)"


class _Redacting(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(_escaped(record)))

    def formatException(self, ei: Any) -> str:  # noqa: N802  (logging's own name)
        return _withheld(ei)

    def formatStack(self, stack_info: str) -> str:  # noqa: N802  (logging's own name)
        return "(stack withheld from the log)"


def _escaped(record: logging.LogRecord) -> logging.LogRecord:
    # Text lines are not quoted the way JSON lines are: a request path (or anything else a
    # client chose) holding %0A would start a line of its own, an ESC would reach the
    # terminal. So the message and the access fields are escaped; the format around them
    # is the code's own. uvicorn's color_message is dropped: its colours are escapes too.
    safe = copy.copy(record)
    safe.msg, safe.args = escape_controls(record.getMessage()), None
    safe.__dict__.pop("color_message", None)
    for name in ACCESS_FIELDS:
        value = safe.__dict__.get(name)
        if isinstance(value, str):
            safe.__dict__[name] = escape_controls(value)
    return safe


class RedactingFormatter(_Redacting, DefaultFormatter):
    """Uvicorn's default log format, redacted."""


class JsonFormatter(logging.Formatter):
    """One JSON object per line, redacted, with no stack traces."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, Any] = {
            "time": _utc_time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = record.__dict__
        for name in ACCESS_FIELDS:
            if name in fields:
                line[name] = fields[name]
        if "request_id" not in line and (request_id := current_request_id.get()) is not None:
            line["request_id"] = request_id
        if record.exc_info:
            line["error"] = _withheld(record.exc_info)
        if record.stack_info:
            line["stack"] = "(stack withheld from the log)"
        encoded = json.dumps(line, default=str)
        # JSON encoding leaves every marker as it was, so one scan clears most lines; a
        # line with one is masked value by value (masking it encoded could eat an escape).
        if not _may_hold_a_secret(encoded):
            return encoded
        return json.dumps({name: redact(value) if isinstance(value, str) else value
                           for name, value in line.items()}, default=str)


def _utc_time(created: float) -> str:
    whole = int(created)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(whole))}." \
           f"{int((created - whole) * 1000):03d}Z"


def log_config(level: str = "info", log_format: LogFormat = "json") -> dict[str, Any]:
    """The logging dictConfig `serve` hands to uvicorn (and so to every worker)."""
    upper = level.upper()
    text = log_format == "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": JsonFormatter},
            "default": {"()": RedactingFormatter, "fmt": "%(levelprefix)s %(name)s: %(message)s",
                        "use_colors": None},
            "access": {"()": RedactingFormatter, "use_colors": None,
                       "fmt": '%(levelprefix)s %(client)s - "%(method)s %(path)s" %(status)s '
                              "%(duration_ms)s ms [%(request_id)s]"},
        },
        "handlers": {
            "default": {"formatter": "default" if text else "json",
                        "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
            "access": {"formatter": "access" if text else "json",
                       "class": "logging.StreamHandler", "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "": {"handlers": ["default"], "level": upper},
            "uvicorn": {"handlers": ["default"], "level": upper, "propagate": False},
            "uvicorn.error": {"level": upper},
            # Replaced by ACCESS_LOGGER's lines, which know the route and the request id.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            ACCESS_LOGGER: {"handlers": ["access"], "level": upper, "propagate": False},
        },
    }
