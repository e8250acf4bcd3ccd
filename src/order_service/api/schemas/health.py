"""Bodies of the health checks."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class HealthOut(BaseModel):
    """The service is up (liveness) or ready for traffic (readiness)."""

    status: Literal["ok"] = "ok"
