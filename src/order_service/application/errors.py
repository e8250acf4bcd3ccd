"""The application's exceptions: what the use cases and their ports raise.

The domain's business refusals are in domain/errors.py; each adapter translates its own
failures (a driver's, a broker's) into these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from order_service.application.access import Permission, Principal


class ConcurrencyConflict(Exception):
    """A stream moved on since it was read: the command must be decided again."""

    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(
            f"stream {stream_id} is no longer at version {expected_version}; it changed meanwhile"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version

    @classmethod
    def aborted(cls, reason: str) -> ConcurrencyConflict:
        """The database aborted the transaction in favour of a concurrent one."""
        conflict = cls("(any)", -1)
        conflict.args = (f"the database aborted the transaction for a concurrent one: {reason}",)
        return conflict


class StorageUnavailable(Exception):
    """The database cannot be reached or did not answer in time; try again shortly."""


class AlreadyHandled(Exception):
    """This idempotency key's request was handled before; here is how it was answered."""

    def __init__(self, recording: str) -> None:
        super().__init__("this request was already handled")
        self.recording = recording


class IdempotencyKeyReused(Exception):
    """An idempotency key came back with a different request."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"the Idempotency-Key {key!r} was already used for a different request; "
            "use a new key for a new request"
        )
        self.key = key


class Forbidden(Exception):
    """A valid key whose role does not grant what the request needs."""

    def __init__(self, principal: Principal, permission: Permission, roles: Sequence[str]
                 ) -> None:
        super().__init__(
            f"the {principal.role.value} key {principal.name!r} may not {permission.value}; "
            f"that needs a key with the role {' or '.join(roles)}"
        )
        self.permission = permission
        self.roles_needed = tuple(roles)


class KeyNameTaken(Exception):
    """An active key already has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"an active API key is already named {name!r}; choose another name "
                         "or revoke that key first")


class UnknownKeyName(Exception):
    """No active key has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no active API key is named {name!r}; see `order-service api-key list`")


class PublishFailed(Exception):
    """The broker could not be reached, refused an event or did not acknowledge it."""


class LeaseLost(Exception):
    """Another relay took the lease over: stop publishing."""


class GeocoderUnavailable(Exception):
    """The geocoder gave no usable answer: unreachable, too slow, refusing or garbled."""

    def __init__(self, why: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(why)
        self.retry_after_seconds = retry_after_seconds
