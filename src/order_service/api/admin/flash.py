"""The message the next page shows once, after an action (Post/Redirect/Get)."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Flash:
    """A success or an error: a title and the details under it."""

    kind: str
    title: str
    details: tuple[str, ...] = ()

    @classmethod
    def success(cls, title: str, *details: str) -> Flash:
        """Something was done."""
        return cls("success", title, details)

    @classmethod
    def error(cls, title: str, *details: str) -> Flash:
        """Something was refused, and why."""
        return cls("error", title, details)

    def to_json(self) -> str:
        """The flash as stored with the session."""
        return json.dumps({"kind": self.kind, "title": self.title, "details": self.details})

    @classmethod
    def from_json(cls, stored: str | None) -> Flash | None:
        """The stored flash, if any (something unreadable is dropped, not shown)."""
        if not stored:
            return None
        try:
            data = json.loads(stored)
            return cls(str(data["kind"]), str(data["title"]),
                       tuple(str(detail) for detail in data.get("details", ())))
        except (ValueError, KeyError, TypeError):
            return None
