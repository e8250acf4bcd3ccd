"""Log configuration for `order-service serve`: secrets redacted, no stack traces.

Log lines end up in shared log storage that more people can read than can read the
database. So API keys, bearer tokens and notification signatures are masked in every
line, and exceptions are logged by type only: a stack trace can carry SQL, bound values
and secrets, and none of those belong in a log line.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from uvicorn.logging import AccessFormatter, DefaultFormatter

REDACTED = "[redacted]"
SECRET_PATTERNS = (
    re.compile(r"os_live_[A-Za-z0-9_\-]+"),
    re.compile(r"(?i)(?<=bearer )[^\s\"',]+"),
    re.compile(r"(?<=v1=)[0-9a-fA-F]+"),
    re.compile(r"(?i)(?<=whsec_)[A-Za-z0-9_\-]+"),
)


# Every secret pattern above contains one of these; most lines (the access log's) contain
# none, and one lowercase scan is much cheaper than four regular expressions.
_MARKERS = ("os_live_", "bearer ", "v1=", "whsec_")


def redact(text: str) -> str:
    """`text` with every API key, bearer token and signature masked."""
    lowered = text.lower()
    if not any(marker in lowered for marker in _MARKERS):
        return text
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


class _Redacting(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

    def formatException(self, ei: Any) -> str:  # noqa: N802  (logging's own name)
        kind = ei[0].__name__ if ei and ei[0] else "error"
        return f"({kind}; stack trace withheld from the log)"

    def formatStack(self, stack_info: str) -> str:  # noqa: N802  (logging's own name)
        return "(stack withheld from the log)"


class RedactingFormatter(_Redacting, DefaultFormatter):
    """Uvicorn's default log format, redacted."""


class RedactingAccessFormatter(_Redacting, AccessFormatter):
    """Uvicorn's access log format, redacted."""


def log_config(level: str = "info") -> dict[str, Any]:
    """The logging dictConfig `serve` hands to uvicorn (and so to every worker)."""
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": {"()": RedactingFormatter, "fmt": "%(levelprefix)s %(name)s: %(message)s",
                        "use_colors": None},
            "access": {"()": RedactingAccessFormatter,
                       "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" '
                              "%(status_code)s"},
        },
        "handlers": {
            "default": {"formatter": "default", "class": "logging.StreamHandler",
                        "stream": "ext://sys.stderr"},
            "access": {"formatter": "access", "class": "logging.StreamHandler",
                       "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "": {"handlers": ["default"], "level": upper},
            "uvicorn": {"handlers": ["default"], "level": upper, "propagate": False},
            "uvicorn.error": {"level": upper},
            "uvicorn.access": {"handlers": ["access"], "level": upper, "propagate": False},
        },
    }
