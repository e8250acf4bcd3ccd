"""The payment hold: how long an unpaid order keeps its stock before it is called off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# The cancel reason of an order whose payment did not arrive within the hold.
PAYMENT_TIMEOUT = "payment_timeout"


@dataclass(frozen=True, slots=True)
class PaymentHold:
    """How long a placed order may wait for its payment; zero means for ever."""

    duration: timedelta

    def __post_init__(self) -> None:
        if self.duration < timedelta(0):
            raise ValueError(f"a payment hold cannot be negative, not {self.duration}")

    @classmethod
    def of_hours(cls, hours: float) -> PaymentHold:
        """A hold of `hours` (fractions allowed; 0 keeps unpaid orders for ever)."""
        return cls(timedelta(hours=hours))

    @property
    def enabled(self) -> bool:
        """Whether unpaid orders expire at all."""
        return self.duration > timedelta(0)

    def cutoff(self, now: datetime) -> datetime:
        """Orders placed before this moment have waited longer than the hold."""
        return now - self.duration

    def has_run_out(self, placed_at: datetime, now: datetime) -> bool:
        """Whether an order placed at `placed_at` has waited past the hold by `now`."""
        return self.enabled and placed_at < self.cutoff(now)
