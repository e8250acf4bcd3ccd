"""NATS JetStream as the relay's EventPublisher; nats-py is used here and nowhere else.

Each event is one message on `<prefix>.<EventType>`, its body the event as JSON (the
event feed's fields plus `id`), with headers:

- `Nats-Msg-Id: <event id>`: JetStream drops a copy published again within the
  stream's duplicate window;
- `Nats-Expected-Last-Sequence`: the stream stores a message only right after the one
  published before it, so a lost or failed publish can never let a later event overtake
  it; the stream always holds the events as a gap-free prefix, in position order;
- `Order-Service-Position`, `Order-Service-Event-Type`: for consumers, and to tell after
  a restart which event the stream holds last.

An event JetStream already holds within its duplicate window is acknowledged as a
duplicate and not stored again; the messages sent after it in the same batch then expect
a sequence one too far and are refused, so they are sent again with the right one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Sequence
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig, StreamInfo
from nats.js.errors import NotFoundError

from order_service.application.errors import PublishFailed
from order_service.application.relay import PublishedEvent, StreamState, event_id
from order_service.application.views import StoredEventView

log = logging.getLogger(__name__)

MSG_ID = "Nats-Msg-Id"
EXPECTED_STREAM = "Nats-Expected-Stream"
EXPECTED_LAST_SEQUENCE = "Nats-Expected-Last-Sequence"
POSITION = "Order-Service-Position"
EVENT_TYPE = "Order-Service-Event-Type"

ACK_TIMEOUT_SECONDS = 10.0
REQUEST_TIMEOUT_SECONDS = 5.0
DUPLICATE_WINDOW_SECONDS = 120.0
NATS_TROUBLE = (NatsError, TimeoutError, OSError)
# A subject token may not hold dots, wildcards or white space; an event type written by a
# newer version (or by hand) might.
_NOT_IN_A_TOKEN = re.compile(r"[^A-Za-z0-9_-]")


def event_document(event: StoredEventView) -> dict[str, Any]:
    """The message body: the event feed's fields, and the event's id."""
    return {
        "id": event_id(event),
        "position": event.position,
        "stream_id": event.stream_id,
        "version": event.version,
        "type": event.type,
        "schema_version": event.schema_version,
        "recorded_at": event.recorded_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
        "metadata": event.metadata,
    }


def subject(prefix: str, event: StoredEventView) -> str:
    """The subject an event is published on: `<prefix>.<EventType>`."""
    return f"{prefix}.{_NOT_IN_A_TOKEN.sub('_', event.type) or '_'}"


class JetStreamPublisher:
    """The EventPublisher port over one NATS connection and one JetStream stream."""

    def __init__(self, servers: str, stream: str, subject_prefix: str) -> None:
        self._servers = [server.strip() for server in servers.split(",") if server.strip()]
        self._stream = stream
        self._prefix = subject_prefix
        self._nats: Client | None = None
        self._js: JetStreamContext | None = None
        self._inbox = ""
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._sent = 0
        self._last_sequence = 0

    @property
    def destination(self) -> str:
        """The stream, for log lines."""
        return f"JetStream stream {self._stream}"

    async def open(self) -> StreamState:
        """Connect, make the stream if missing; its last sequence and last event."""
        try:
            js = await self._connected()
            info = await self._stream_info(js)
            self._last_sequence = info.state.last_seq
            return StreamState(info.state.last_seq,
                               await self._last_event(js, info.state.last_seq))
        except NATS_TROUBLE as error:
            raise PublishFailed(_describe(error)) from error

    async def publish(self, events: Sequence[StoredEventView]) -> None:
        """Publish `events` in order and wait until JetStream stored every one."""
        assert self._nats is not None, "open() the publisher first"
        pending = list(events)
        while pending:
            replies = await self._publish_once(pending)
            stored, duplicates = 0, 0
            for reply in replies:
                if isinstance(reply, BaseException):
                    break
                if reply.get("duplicate"):
                    duplicates += 1
                else:
                    self._last_sequence = int(reply["seq"])
                stored += 1
            if stored == len(pending):
                return
            failure = replies[stored]
            assert isinstance(failure, BaseException)
            if not duplicates:
                raise failure
            # Refused for expecting a sequence the duplicates never took: send again.
            pending = pending[stored:]

    async def verify(self) -> None:
        """PublishFailed if the stream is gone or holds fewer messages than were published."""
        assert self._js is not None, "open() the publisher first"
        try:
            info = await self._js.stream_info(self._stream)
        except NotFoundError as error:
            raise PublishFailed(f"JetStream stream {self._stream} is gone") from error
        except NATS_TROUBLE as error:
            raise PublishFailed(_describe(error)) from error
        if info.state.last_seq < self._last_sequence:
            raise PublishFailed(f"JetStream stream {self._stream} was made again: its last "
                                f"sequence is {info.state.last_seq}, not "
                                f"{self._last_sequence}")

    async def close(self) -> None:
        """Close the connection, if one is open."""
        if self._nats is not None and not self._nats.is_closed:
            try:
                await asyncio.wait_for(self._nats.close(), REQUEST_TIMEOUT_SECONDS)
            except NATS_TROUBLE:
                log.warning("could not close the NATS connection cleanly")
        self._nats = self._js = None

    async def _publish_once(self, events: Sequence[StoredEventView]
                            ) -> list[dict[str, Any] | BaseException]:
        """Send `events` pipelined; each one's acknowledgement or failure, in order."""
        futures: list[asyncio.Future[dict[str, Any]]] = []
        try:
            for offset, event in enumerate(events):
                futures.append(await self._send(event, self._last_sequence + offset))
            return await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True),
                                          ACK_TIMEOUT_SECONDS)
        except TimeoutError as error:
            raise PublishFailed(f"JetStream did not acknowledge within "
                                f"{ACK_TIMEOUT_SECONDS:g} s") from error
        except NATS_TROUBLE as error:
            raise PublishFailed(_describe(error)) from error
        finally:
            for future in futures:
                future.cancel()

    async def _send(self, event: StoredEventView, after_sequence: int
                    ) -> asyncio.Future[dict[str, Any]]:
        # nats-py's publish_async loses error replies (the future then never completes),
        # so acknowledgements are matched to their messages here, by reply subject.
        assert self._nats is not None
        self._sent += 1
        token = str(self._sent)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda _: self._waiting.pop(token, None))
        self._waiting[token] = future
        headers = {
            MSG_ID: event_id(event),
            EXPECTED_STREAM: self._stream,
            EXPECTED_LAST_SEQUENCE: str(after_sequence),
            POSITION: str(event.position),
            EVENT_TYPE: event.type,
        }
        body = json.dumps(event_document(event), separators=(",", ":")).encode()
        await self._nats.publish(subject(self._prefix, event), body,
                                 reply=f"{self._inbox}.{token}", headers=headers)
        return future

    async def _on_ack(self, message: Msg) -> None:
        future = self._waiting.get(message.subject.rsplit(".", 1)[-1])
        if future is None or future.done():
            return
        if message.headers and message.headers.get("Status") == "503":
            future.set_exception(PublishFailed(
                f"no JetStream stream takes {message.subject!r}: check ORDER_SERVICE_NATS_STREAM "
                "and that the server runs JetStream"))
            return
        reply = json.loads(message.data)
        if "error" in reply:
            future.set_exception(PublishFailed(
                f"JetStream refused an event: {reply['error'].get('description')}"))
        else:
            future.set_result(reply)

    async def _connected(self) -> JetStreamContext:
        if self._nats is None or self._nats.is_closed or self._js is None:
            # Few reconnect attempts of its own: past them the relay backs off and opens
            # a new connection, logging the outage once per attempt instead of per try.
            self._nats = await nats.connect(
                self._servers, connect_timeout=2, reconnect_time_wait=0.5,
                max_reconnect_attempts=2, error_cb=_log_error, name="order-service relay")
            self._js = self._nats.jetstream(timeout=REQUEST_TIMEOUT_SECONDS)
            self._inbox = self._nats.new_inbox()
            await self._nats.subscribe(f"{self._inbox}.*", cb=self._on_ack)
        return self._js

    async def _stream_info(self, js: JetStreamContext) -> StreamInfo:
        subjects = f"{self._prefix}.>"
        try:
            info = await js.stream_info(self._stream)
        except NotFoundError:
            log.info("making JetStream stream %s for the subjects %s", self._stream, subjects)
            return await js.add_stream(StreamConfig(
                name=self._stream, subjects=[subjects], storage=StorageType.FILE,
                duplicate_window=DUPLICATE_WINDOW_SECONDS))
        try:
            taker = await js.find_stream_name_by_subject(subjects)
        except NotFoundError:
            taker = "none"
        if taker != self._stream:
            raise PublishFailed(f"the subjects {subjects} go to stream {taker}, not to "
                                f"{self._stream}: add them to {self._stream} or set "
                                "ORDER_SERVICE_NATS_STREAM")
        return info

    async def _last_event(self, js: JetStreamContext, sequence: int) -> PublishedEvent | None:
        if sequence == 0:
            return None
        try:
            message = await js.get_msg(self._stream, sequence)
        except NotFoundError:  # expired or deleted: the checkpoint alone says where to go on
            return None
        headers = message.headers or {}
        position, published_id = headers.get(POSITION, ""), headers.get(MSG_ID)
        if not position.isdigit() or published_id is None:
            return None
        return PublishedEvent(position=int(position), event_id=published_id)


async def _log_error(error: Exception) -> None:
    log.warning("NATS: %s", _describe(error))


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__
