"""The asyncio client of the qbt-monitor WebSocket API.

One supervisor task owns the connection's life: it connects, and after every drop decides from the
close code whether to stop or reconnect (capped exponential backoff with full jitter, never before a
``retry_after`` the server gave), resumes with ``?since=<seq>`` and restores the subscriptions. Per
connection a reader task routes replies to their requests (``meta.reply_to``) and events to the
handlers, and a heartbeat task sends ``ping`` and declares the link dead when no ``pong`` comes back.
Handlers run one at a time, in arrival order, in a dispatcher task of their own, so a handler may
itself await a request (``request_data``...) without blocking the reader.
"""
from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import IntEnum
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import _compat
from .backoff import backoff_delay
from .errors import (
    AuthenticationError,
    ClientClosedError,
    ConnectionFailedError,
    DisconnectedError,
    QbtMonitorError,
    RequestTimeoutError,
)
from .protocol import AUTH_FAILED, EVENT_TYPES, close_action
from .subscriptions import Filters, SubscriptionError, Subscriptions

Message = Dict[str, Any]
Handler = Callable[[Message], Union[None, Awaitable[None]]]

logger = logging.getLogger("qbt_monitor")
logger.addHandler(logging.NullHandler())  # a library: silent unless the application configures logging


class ConnectionState(IntEnum):
    """The states of the source document's 连接状态管理 table."""

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3


@dataclass(frozen=True)
class CloseInfo:
    code: int
    reason: str
    heartbeat_timeout: bool = False


class _AttemptFailed(Exception):
    """One connection attempt failed; ``final`` when retrying cannot help (4401, 4403, HTTP 404...)."""

    def __init__(self, error: QbtMonitorError, final: bool, not_before: float = 0.0) -> None:
        super().__init__(str(error))
        self.error = error
        self.final = final
        #: Loop time before which the next attempt must not start (the server's ``retry_after``).
        self.not_before = not_before


class _Connection:
    """One WebSocket connection: its acknowledgement, pending requests and tasks."""

    def __init__(self, ws: Any, ack: Message) -> None:
        loop = asyncio.get_running_loop()
        self.ws = ws
        self.ack = ack
        self.done: "asyncio.Future[CloseInfo]" = loop.create_future()
        self.pending: Dict[str, "asyncio.Future[Message]"] = {}
        self.tasks: List["asyncio.Task[None]"] = []
        #: Loop time before which a reconnect must not start (from an ``error``'s ``retry_after``).
        self.retry_not_before = 0.0
        #: Loop time of the last frame received: any frame proves the link alive.
        self.last_received = loop.time()


def _redact(url: str) -> str:
    """The URL without the value of a ``token`` query parameter (keys are never logged)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, "***" if k == "token" else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def _cancel_and_wait(tasks: List["asyncio.Task[Any]"]) -> None:
    """Cancels tasks and waits until they have ended.

    The cancellation is repeated while a task runs on: on Python 3.11 ``asyncio.wait_for`` loses a
    cancellation that arrives in the loop iteration where the awaited operation completes.
    """
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _done, pending = await asyncio.wait(pending, timeout=0.5)


def _retrieve(future: "asyncio.Future[Any]") -> None:
    """Marks a future's exception as retrieved (a reply nobody waits for any more must not warn)."""
    if not future.cancelled():
        future.exception()


class QbtMonitorClient:
    """A client of qbt-monitor's WebSocket API (``/ws``, ``/ws/performance``, ``/ws/alerts``, ``/ws/status``).

    >>> async with QbtMonitorClient("ws://127.0.0.1:8080/ws", api_key) as client:  # doctest: +SKIP
    ...     client.on("alert", lambda message: print(message["data"]["title"]))
    ...     await client.subscribe(["alert.cpu"], {"level": ["warning", "critical"]})
    ...     await client.wait_closed()

    Args:
        url: the endpoint, ``ws://host:port/ws`` (a ``?token=`` in it works too).
        api_key: sent as ``Authorization: Bearer <key>``; None to rely on a ``?token=`` in the URL.
        client_id: sent as ``X-Client-ID``; when None the server's assigned id is kept for reconnects.
        max_reconnect_attempts: consecutive failed attempts before giving up (None: never give up).
        initial_delay, max_delay: seconds; the backoff ceiling doubles from ``initial_delay`` up to ``max_delay``.
        ping_interval: seconds between heartbeat ``ping`` messages (None disables the heartbeat).
        ping_timeout: seconds to wait for the ``pong``; past it the link is dead and the client reconnects.
        request_timeout: default seconds to wait for a reply (``subscribe``, ``request_data``...).
        connect_timeout: seconds for the opening handshake and for the acknowledgement.
        close_timeout: seconds for the closing handshake.
        auto_reconnect: reconnect after a drop (close codes that mean "stop" never reconnect).
        resume: reconnect with ``?since=<last seq>`` so that missed durable events are replayed.
        max_size: largest message accepted, in bytes (``data`` replies with long histories are big).
        rng: the jitter's source of floats in ``[0, 1)``; ``random.random`` by default.
    """

    def __init__(
        self,
        url: str,
        api_key: Optional[str],
        client_id: Optional[str] = None,
        max_reconnect_attempts: Optional[int] = 10,
        initial_delay: float = 0.5,
        max_delay: float = 30.0,
        ping_interval: Optional[float] = 30.0,
        ping_timeout: float = 10.0,
        *,
        request_timeout: float = 10.0,
        connect_timeout: float = 10.0,
        close_timeout: float = 5.0,
        auto_reconnect: bool = True,
        resume: bool = True,
        max_size: Optional[int] = 16 * 2**20,
        rng: Optional[Callable[[], float]] = None,
    ) -> None:
        if urlsplit(url).scheme not in ("ws", "wss"):
            raise ValueError(f"url must be ws:// or wss://, not {_redact(url)!r}")
        if max_reconnect_attempts is not None and max_reconnect_attempts < 0:
            raise ValueError("max_reconnect_attempts must be >= 0 or None")
        if ping_interval is not None and ping_interval <= 0:
            raise ValueError("ping_interval must be > 0 or None")
        self._url = url
        self._api_key = api_key
        self._client_id = client_id
        self._max_attempts = max_reconnect_attempts
        self._initial_delay = initial_delay
        self._max_delay = max_delay
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._request_timeout = request_timeout
        self._connect_timeout = connect_timeout
        self._close_timeout = close_timeout
        self._auto_reconnect = auto_reconnect
        self._resume = resume
        self._max_size = max_size
        self._rng: Callable[[], float] = rng or random.random

        self._handlers: Dict[str, List[Handler]] = {}
        self._model = Subscriptions()
        self._last_seq: Optional[int] = None
        self._state = ConnectionState.CLOSED
        self._conn: Optional[_Connection] = None
        self._ack: Optional[Message] = None
        self._final_error: Optional[QbtMonitorError] = None
        self._closing = False
        self._ids = itertools.count(1)
        self._id_prefix = uuid.uuid4().hex[:8]
        # Created in connect(), inside the running loop.
        self._ready: Optional[asyncio.Event] = None
        self._closed_event: Optional[asyncio.Event] = None
        self._sub_lock: Optional[asyncio.Lock] = None
        self._queue: Optional["asyncio.Queue[Message]"] = None
        self._supervisor: Optional["asyncio.Task[None]"] = None
        self._dispatcher: Optional["asyncio.Task[None]"] = None
        self._dispatcher_stop = False
        #: Counters, for monitoring and tests.
        self.stats: Dict[str, int] = {
            "connection_attempts": 0,
            "connections": 0,
            "reconnects": 0,
            "restores": 0,
            "events": 0,
            "duplicates_dropped": 0,
            "unsubscribed_dropped": 0,
            "pongs": 0,
            "heartbeat_timeouts": 0,
        }

    # ------------------------------------------------------------------ properties

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def connected(self) -> bool:
        """True while a connection is open and its subscriptions are restored."""
        return self._ready is not None and self._ready.is_set()

    @property
    def client_id(self) -> Optional[str]:
        """The ``X-Client-ID`` sent, or the id the server assigned on the first connection."""
        return self._client_id

    @property
    def ack(self) -> Optional[Message]:
        """The last ``connection`` acknowledgement (``data``: client_id, role, endpoint, event_types, last_seq...)."""
        return self._ack

    @property
    def last_seq(self) -> Optional[int]:
        """The highest ``meta.seq`` seen (from the acknowledgement's ``last_seq`` on): where a resumption starts."""
        return self._last_seq

    @property
    def subscriptions(self) -> Dict[str, Any]:
        """The subscriptions in force: ``{"subscriptions": [{pattern, filters}], "unfiltered_types": [...]}``."""
        return self._model.describe()

    @property
    def final_error(self) -> Optional[QbtMonitorError]:
        """Why the client stopped on its own (4401, attempts exhausted...), None otherwise."""
        return self._final_error

    # ------------------------------------------------------------------ handlers

    def on(self, message_type: str, handler: Handler) -> Handler:
        """Calls ``handler(message)`` (the whole envelope; sync or async) for every message of this type.

        Types: the server's (``performance``, ``alert``, ``status``, ``config``, ``system``, ``connection``,
        ``error``, ``pong``, ``subscribed``, ``unsubscribed``, ``data``, ``resumed``, ``ack``), the
        client's own (``reconnecting``, ``disconnected``, ``reconnected``, ``closed``), or ``*`` for all.
        Returns the handler, so ``on`` can be used as a decorator factory's body.
        """
        if not callable(handler):
            raise TypeError("handler must be callable")
        self._handlers.setdefault(message_type, []).append(handler)
        return handler

    def off(self, message_type: str, handler: Optional[Handler] = None) -> None:
        """Removes one handler of this type, or all of them when ``handler`` is None."""
        if handler is None:
            self._handlers.pop(message_type, None)
            return
        handlers = self._handlers.get(message_type, [])
        if handler in handlers:
            handlers.remove(handler)

    # ------------------------------------------------------------------ lifecycle

    async def connect(self, since: Optional[int] = None) -> Message:
        """Connects (retrying transient failures like a reconnect) and returns the acknowledgement.

        ``since``: resume from this ``seq`` (one saved from ``last_seq`` earlier) instead of starting
        with a snapshot. Raises :class:`AuthenticationError` on a refused key (4401, no retry),
        :class:`ConnectionFailedError` when attempts run out or the server says stop.
        """
        if self._supervisor is not None and not self._supervisor.done():
            raise QbtMonitorError("ALREADY_CONNECTED", "connect() was already called; close() first")
        loop = asyncio.get_running_loop()
        self._ready = asyncio.Event()
        self._closed_event = asyncio.Event()
        self._sub_lock = asyncio.Lock()
        self._queue = asyncio.Queue()
        self._model = Subscriptions()
        self._last_seq = since
        self._final_error = None
        self._closing = False
        self._dispatcher_stop = False
        self._state = ConnectionState.CONNECTING
        first: "asyncio.Future[Message]" = loop.create_future()
        first.add_done_callback(_retrieve)
        self._dispatcher = asyncio.create_task(self._dispatch_loop(), name="qbt-monitor-dispatch")
        self._supervisor = asyncio.create_task(self._supervise(first), name="qbt-monitor-supervisor")
        try:
            return await first
        except BaseException:
            await self._shutdown()
            raise

    async def close(self) -> None:
        """Closes the connection (close code 1000), stops reconnecting, and ends every task it started.

        Messages still queued for handlers are dropped. Safe to call twice, or from a handler.
        """
        await self._shutdown()

    async def wait_closed(self) -> Optional[QbtMonitorError]:
        """Waits until the client stops: returns :attr:`final_error` (None after ``close()``)."""
        if self._closed_event is None:
            return self._final_error
        await self._closed_event.wait()
        return self._final_error

    async def __aenter__(self) -> "QbtMonitorClient":
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ requests

    async def subscribe(
        self, events: Union[str, Iterable[str]], filters: Optional[Filters] = None, *, timeout: Optional[float] = None
    ) -> Message:
        """Subscribes to event names or patterns (``alert.cpu``, ``alert.*``, ``*``) with optional filters.

        Returns the ``subscribed`` reply; raises :class:`QbtMonitorError` (``INVALID_SUBSCRIPTION``) on refusal.
        The subscriptions are restored after every reconnect.
        """
        patterns = self._patterns(events)
        filters_json: Dict[str, Any] = json.loads(json.dumps(dict(filters or {})))
        data: Dict[str, Any] = {"events": patterns}
        if filters_json:
            data["filters"] = filters_json
        return await self._change_subscriptions("subscribe", patterns, filters_json, data, timeout)

    async def unsubscribe(self, events: Union[str, Iterable[str]], *, timeout: Optional[float] = None) -> Message:
        """Removes patterns; returns the ``unsubscribed`` reply. (It does not bring the type's default back.)"""
        patterns = self._patterns(events)
        return await self._change_subscriptions("unsubscribe", patterns, None, {"events": patterns}, timeout)

    async def request_data(
        self, metrics: Iterable[str], history_minutes: Optional[float] = None, *, timeout: Optional[float] = None
    ) -> Message:
        """Asks for metrics' current values and history; returns the ``data`` reply.

        Raises :class:`QbtMonitorError` with the server's code (``UNAVAILABLE`` while the server has no
        metric store) and :class:`RequestTimeoutError` (an ``asyncio.TimeoutError``) on timeout.
        """
        data: Dict[str, Any] = {"metrics": self._patterns(metrics)}
        if history_minutes is not None:
            data["history_minutes"] = history_minutes
        return await self.request("request_data", data, timeout=timeout, retry_on_disconnect=True)

    async def resolve_alert(self, alert_id: str, resolution: Optional[str] = None, *, timeout: Optional[float] = None) -> Message:
        """Resolves an active alert (admin keys); returns the ``ack`` reply."""
        data: Dict[str, Any] = {"alert_id": alert_id}
        if resolution is not None:
            data["resolution"] = resolution
        return await self.request("resolve_alert", data, timeout=timeout)

    async def ping(self, *, timeout: Optional[float] = None) -> Message:
        """Sends a ``ping`` and returns the ``pong``."""
        return await self.request("ping", None, timeout=timeout)

    async def request(
        self,
        message_type: str,
        data: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        retry_on_disconnect: bool = False,
    ) -> Message:
        """Sends any client message and returns its reply (matched by ``meta.reply_to``); ``error`` replies raise."""
        budget = self._request_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        while True:
            conn = await self._wait_ready(deadline - loop.time())
            try:
                return await self._request(conn, message_type, data, deadline - loop.time())
            except DisconnectedError:
                if not retry_on_disconnect or self._closing:
                    raise

    # ------------------------------------------------------------------ internals: requests

    @staticmethod
    def _patterns(events: Union[str, Iterable[str]]) -> List[str]:
        patterns = [events] if isinstance(events, str) else list(events)
        if not patterns:
            raise ValueError("at least one name is required")
        return patterns

    async def _change_subscriptions(
        self, kind: str, patterns: List[str], filters: Optional[Dict[str, Any]], data: Dict[str, Any], timeout: Optional[float]
    ) -> Message:
        budget = self._request_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        while True:
            conn = await self._wait_ready(deadline - loop.time())  # raises unless connect() has run
            assert self._sub_lock is not None
            # The lock keeps the model and the server in step, and a restore never interleaves with a change.
            async with self._sub_lock:
                if conn is not self._conn or conn.done.done():
                    continue
                try:
                    reply = await self._request(conn, kind, data, deadline - loop.time())
                except DisconnectedError:
                    if self._closing:
                        raise
                    continue  # idempotent: send it again on the next connection
                self._apply_locally(kind, patterns, filters, reply)
                return reply

    def _apply_locally(self, kind: str, patterns: List[str], filters: Optional[Dict[str, Any]], reply: Message) -> None:
        """Applies a confirmed (un)subscription to the local model; the server's account wins if they differ."""
        model: Optional[Subscriptions] = self._model.copy()
        assert model is not None
        try:
            if kind == "subscribe":
                model.subscribe(patterns, filters)
            else:
                model.unsubscribe(patterns)
        except SubscriptionError:
            model = None
        data = reply.get("data") if isinstance(reply.get("data"), dict) else {}
        server_view = {"subscriptions": data.get("subscriptions", []), "unfiltered_types": data.get("unfiltered_types", [])}
        if model is None or model.describe() != server_view:
            logger.warning("local subscription model differs from the server's reply; adopting the server's")
            model = Subscriptions.from_description(server_view["subscriptions"], server_view["unfiltered_types"], self._model.allowed)
        self._model = model

    async def _wait_ready(self, timeout: float) -> _Connection:
        """The current connection once it is open and restored; waits at most ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._ready is None or self._closed_event is None or self._closed_event.is_set() or self._closing:
                raise ClientClosedError("CLIENT_CLOSED", "the client is not connected: call connect() first")
            conn = self._conn
            if self._ready.is_set() and conn is not None and not conn.done.done():
                return conn
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise RequestTimeoutError("TIMEOUT", f"not connected within {timeout:.3g} s")
            # Ready is cleared as soon as a connection ends, so this waits for the next one (or the end).
            waiters = {
                asyncio.ensure_future(self._ready.wait()),
                asyncio.ensure_future(self._closed_event.wait()),
            }
            try:
                await asyncio.wait(waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
                await asyncio.gather(*waiters, return_exceptions=True)

    def _send_request(self, conn: _Connection, message_type: str, data: Optional[Mapping[str, Any]]) -> Tuple[str, "asyncio.Future[Message]", str]:
        message_id = f"{message_type}_{self._id_prefix}_{next(self._ids)}"
        future: "asyncio.Future[Message]" = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieve)
        conn.pending[message_id] = future
        payload: Dict[str, Any] = {"type": message_type, "id": message_id}
        if data is not None:
            payload["data"] = dict(data)
        return message_id, future, json.dumps(payload)

    async def _request(self, conn: _Connection, message_type: str, data: Optional[Mapping[str, Any]], timeout: float) -> Message:
        message_id, future, text = self._send_request(conn, message_type, data)
        try:
            try:
                await conn.ws.send(text)
            except _compat.ConnectionClosed:
                raise DisconnectedError("DISCONNECTED", f"the connection closed before {message_type} was sent") from None
            return await self._await_reply(future, max(timeout, 0.0), message_type)
        finally:
            conn.pending.pop(message_id, None)

    @staticmethod
    async def _await_reply(future: "asyncio.Future[Message]", timeout: float, what: str) -> Message:
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            if future.done() and not future.cancelled() and future.exception() is not None:
                raise future.exception() from None  # type: ignore[misc]
            raise RequestTimeoutError("TIMEOUT", f"no reply to {what} within {timeout:.3g} s") from None

    # ------------------------------------------------------------------ internals: connection life

    async def _supervise(self, first: "asyncio.Future[Message]") -> None:
        try:
            await self._run(first)
        except Exception as bug:  # not the network (that is handled): stop visibly rather than hang
            logger.exception("the connection supervisor failed")
            error = QbtMonitorError("INTERNAL", f"the client failed: {bug!r}")
            if not first.done():
                first.set_exception(error)
            self._finish(error)

    async def _run(self, first: "asyncio.Future[Message]") -> None:
        try:
            conn = await self._establish(reconnecting=False, not_before=0.0)
        except QbtMonitorError as error:
            if not first.done():
                first.set_exception(error)
            self._finish(None if self._closing else error, emit=False)
            return
        if self._closing:  # close() came as the connection opened (see _cancel_and_wait)
            await self._teardown(conn, graceful=True)
            return
        self._activate(conn)
        assert self._ready is not None
        self._ready.set()
        if not first.done():
            first.set_result(conn.ack)
        while True:
            if self._closing:
                return
            info = await asyncio.shield(conn.done)
            await self._teardown(conn, graceful=False)
            if self._closing:
                return
            action = "reconnect_and_resume" if info.heartbeat_timeout else close_action(info.code)
            will_reconnect = action != "stop" and self._auto_reconnect
            self._emit_local(
                "disconnected",
                {
                    "code": info.code,
                    "reason": info.reason,
                    "action": action,
                    "heartbeat_timeout": info.heartbeat_timeout,
                    "will_reconnect": will_reconnect,
                },
            )
            if not will_reconnect:
                error_class = AuthenticationError if info.code == AUTH_FAILED else ConnectionFailedError
                code = "AUTH_FAILED" if info.code == AUTH_FAILED else "CONNECTION_CLOSED"
                self._finish(error_class(code, f"the server closed the connection: {info.reason or action}", close_code=info.code))
                return
            self._state = ConnectionState.CONNECTING
            try:
                conn = await self._establish(reconnecting=True, not_before=conn.retry_not_before)
            except QbtMonitorError as error:
                if not self._closing:  # close() during a reconnect is not a failure
                    self._finish(error)
                return
            if self._closing:
                await self._teardown(conn, graceful=True)
                return
            self._activate(conn)
            self.stats["reconnects"] += 1
            try:
                await self._restore(conn)
            except QbtMonitorError as error:
                if conn.done.done():
                    continue  # dropped again while restoring: the model is intact, the next connection restores it
                logger.error("restoring subscriptions failed: %s", error)
            if self._closing:
                return
            self._ready.set()
            self._emit_local("reconnected", {"last_seq": self._last_seq, "ack": conn.ack.get("data")})

    async def _establish(self, *, reconnecting: bool, not_before: float) -> _Connection:
        """Connects, retrying transient failures with backoff; raises the final error."""
        loop = asyncio.get_running_loop()
        retries = 0
        last_error: Optional[QbtMonitorError] = None
        wait = reconnecting
        while True:
            if self._closing:
                raise ClientClosedError("CLIENT_CLOSED", "the client was closed")
            if wait:
                if self._max_attempts is not None and retries >= self._max_attempts:
                    detail = f": {last_error}" if last_error else ""
                    raise ConnectionFailedError(
                        "CONNECTION_FAILED",
                        f"gave up after {retries} reconnect attempt(s){detail}",
                        close_code=last_error.close_code if last_error else None,
                    )
                delay = backoff_delay(retries, self._initial_delay, self._max_delay, self._rng)
                delay = max(delay, not_before - loop.time())
                retries += 1
                self._emit_local(
                    "reconnecting", {"attempt": retries, "delay": delay, "error": str(last_error) if last_error else None}
                )
                logger.info("reconnecting in %.2f s (attempt %d)", delay, retries)
                await asyncio.sleep(delay)
            wait = True
            try:
                return await self._open_once()
            except _AttemptFailed as failure:
                if failure.final:
                    raise failure.error
                last_error = failure.error
                not_before = failure.not_before
                logger.info("connection attempt failed: %s", failure.error)

    def _connect_url(self) -> str:
        parts = urlsplit(self._url)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "since"]
        if self._resume and self._last_seq is not None:
            query.append(("since", str(self._last_seq)))
        return urlunsplit(parts._replace(query=urlencode(query)))

    async def _open_once(self) -> _Connection:
        url = self._connect_url()
        headers: Dict[str, str] = {}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        if self._client_id:
            headers["X-Client-ID"] = self._client_id
        self.stats["connection_attempts"] += 1
        try:
            ws = await _compat.open_connection(
                url, headers, open_timeout=self._connect_timeout, close_timeout=self._close_timeout, max_size=self._max_size
            )
        except _compat.InvalidHandshake as error:
            status = _compat.handshake_status(error)
            final = status is not None and 400 <= status < 500 and status not in (408, 429)
            raise _AttemptFailed(QbtMonitorError("HANDSHAKE_REJECTED", f"{_redact(url)}: {error}"), final) from None
        except (OSError, asyncio.TimeoutError, _compat.ConnectionClosed) as error:
            raise _AttemptFailed(QbtMonitorError("CONNECTION_FAILED", f"cannot connect to {_redact(url)}: {error}"), False) from None
        try:
            ack = await self._await_ack(ws)
        except BaseException:
            await self._discard(ws)
            raise
        return _Connection(ws, ack)

    async def _await_ack(self, ws: Any) -> Message:
        """The ``connection`` acknowledgement, or the refusal (a ``connection`` error or ``error``, then a close)."""
        try:
            first = self._parse(await asyncio.wait_for(ws.recv(), self._connect_timeout))
        except asyncio.TimeoutError:
            raise _AttemptFailed(QbtMonitorError("CONNECTION_FAILED", "no acknowledgement from the server"), False) from None
        except _compat.ConnectionClosed as closed:
            code, reason = _compat.close_code_of(closed)
            raise self._refusal(code, reason, None) from None
        if first is not None and first.get("type") == "connection" and (first.get("data") or {}).get("status") == "connected":
            return first
        code: Optional[int] = None
        reason = ""
        try:
            while True:  # the server closes right after its refusal
                await asyncio.wait_for(ws.recv(), self._close_timeout)
        except _compat.ConnectionClosed as closed:
            code, reason = _compat.close_code_of(closed)
        except asyncio.TimeoutError:
            pass
        raise self._refusal(code, reason, first)

    def _refusal(self, code: Optional[int], reason: str, reply: Optional[Message]) -> _AttemptFailed:
        base = (
            QbtMonitorError.from_reply(reply)
            if reply is not None and reply.get("type") in ("connection", "error")
            else QbtMonitorError("CONNECTION_FAILED", f"closed before the acknowledgement: {reason or code}")
        )
        action = close_action(code) if code is not None else "reconnect"
        if action == "stop":
            error_class = AuthenticationError if code == AUTH_FAILED else ConnectionFailedError
            return _AttemptFailed(error_class(base.code, base.message, close_code=code, reply=reply), True)
        not_before = 0.0
        if base.retry_after is not None:
            not_before = asyncio.get_running_loop().time() + base.retry_after / 1000.0
        error = QbtMonitorError(base.code, base.message, retry_after=base.retry_after, close_code=code, reply=reply)
        return _AttemptFailed(error, False, not_before)

    def _activate(self, conn: _Connection) -> None:
        data = conn.ack.get("data") or {}
        self._conn = conn
        self._ack = conn.ack
        if self._client_id is None and isinstance(data.get("client_id"), str):
            self._client_id = data["client_id"]  # keep the same identity across reconnects
        event_types = data.get("event_types")
        if isinstance(event_types, list) and all(isinstance(t, str) for t in event_types):
            self._model.set_allowed(event_types)
        ack_seq = data.get("last_seq")
        if isinstance(ack_seq, int) and not isinstance(ack_seq, bool):
            # First connection: start from here. A server whose log restarted lower: follow it (it announces a gap).
            if self._last_seq is None or ack_seq < self._last_seq:
                self._last_seq = ack_seq
        self._state = ConnectionState.OPEN
        self.stats["connections"] += 1
        self._enqueue(conn.ack)
        conn.tasks.append(asyncio.create_task(self._read(conn), name="qbt-monitor-reader"))
        if self._ping_interval is not None:
            conn.tasks.append(asyncio.create_task(self._heartbeat(conn), name="qbt-monitor-heartbeat"))

    def _end(self, conn: _Connection, info: CloseInfo) -> None:
        """Marks a connection finished (first cause wins) and no longer ready."""
        if not conn.done.done():
            conn.done.set_result(info)
        if self._conn is conn and self._ready is not None:
            self._ready.clear()

    async def _restore(self, conn: _Connection) -> None:
        """Re-sends the subscriptions on a new connection, pipelined so that they apply close together."""
        assert self._sub_lock is not None
        async with self._sub_lock:
            plan = self._model.restore_plan()
            if not plan:
                return
            sent: List[Tuple[str, str, "asyncio.Future[Message]"]] = []
            try:
                for kind, patterns, filters in plan:
                    data: Dict[str, Any] = {"events": patterns}
                    if filters:
                        data["filters"] = filters
                    message_id, future, text = self._send_request(conn, kind, data)
                    sent.append((kind, message_id, future))
                    try:
                        await conn.ws.send(text)
                    except _compat.ConnectionClosed:
                        raise DisconnectedError("DISCONNECTED", "the connection closed while restoring subscriptions") from None
                last: Optional[Message] = None
                for kind, _message_id, future in sent:
                    last = await self._await_reply(future, self._request_timeout, kind)
            finally:
                for _kind, message_id, _future in sent:
                    conn.pending.pop(message_id, None)
            data_out = (last or {}).get("data") or {}
            if {"subscriptions": data_out.get("subscriptions"), "unfiltered_types": data_out.get("unfiltered_types")} != self._model.describe():
                logger.warning("restored subscriptions differ from the ones before the reconnect")
            self.stats["restores"] += 1

    async def _read(self, conn: _Connection) -> None:
        code, reason = 1006, ""
        try:
            while True:
                raw = await conn.ws.recv()
                self._on_raw(conn, raw)
        except _compat.ConnectionClosed as closed:
            code, reason = _compat.close_code_of(closed)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug, not the network: log it and let the supervisor reconnect
            logger.exception("the reader failed")
        finally:
            self._end(conn, CloseInfo(code, reason))

    def _on_raw(self, conn: _Connection, raw: Union[str, bytes]) -> None:
        conn.last_received = asyncio.get_running_loop().time()
        message = self._parse(raw)
        if message is None:
            return
        message_type = message.get("type")
        meta = message.get("meta") if isinstance(message.get("meta"), dict) else {}
        data = message.get("data")
        if message_type == "error" and isinstance(data, dict):
            retry_after = data.get("retry_after")
            if isinstance(retry_after, int) and not isinstance(retry_after, bool):
                not_before = asyncio.get_running_loop().time() + retry_after / 1000.0
                conn.retry_not_before = max(conn.retry_not_before, not_before)
        reply_to = meta.get("reply_to")
        if isinstance(reply_to, str):
            future = conn.pending.pop(reply_to, None)
            if future is not None and not future.done():
                if message_type == "error":
                    future.set_exception(QbtMonitorError.from_reply(message))
                else:
                    future.set_result(message)
        if message_type in EVENT_TYPES:
            seq = meta.get("seq")
            if isinstance(seq, int) and not isinstance(seq, bool):
                if self._last_seq is not None and seq <= self._last_seq:
                    self.stats["duplicates_dropped"] += 1
                    return
                self._last_seq = seq
            # A resumption replays under a new connection's defaults, before the subscriptions are restored.
            if not self._model.accepts_message(message):
                self.stats["unsubscribed_dropped"] += 1
                return
            self.stats["events"] += 1
        self._enqueue(message)

    @staticmethod
    def _parse(raw: Union[str, bytes]) -> Optional[Message]:
        try:
            message = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            logger.warning("ignoring a frame that is not JSON")
            return None
        if not isinstance(message, dict):
            logger.warning("ignoring a frame that is not a JSON object")
            return None
        return message

    async def _heartbeat(self, conn: _Connection) -> None:
        """A ``ping`` every ``ping_interval``; dead when neither the ``pong`` nor any other frame comes within ``ping_timeout``."""
        assert self._ping_interval is not None
        loop = asyncio.get_running_loop()
        while True:
            try:
                await asyncio.wait_for(asyncio.shield(conn.done), self._ping_interval)
                return  # the connection ended
            except asyncio.TimeoutError:
                pass
            sent_at = loop.time()
            try:
                await self._request(conn, "ping", None, self._ping_timeout)
                self.stats["pongs"] += 1
            except RequestTimeoutError:
                if conn.last_received > sent_at:
                    continue  # frames are arriving (the pong is queued behind them): alive
                self.stats["heartbeat_timeouts"] += 1
                logger.warning("no pong within %.3g s: the connection is dead", self._ping_timeout)
                self._end(conn, CloseInfo(1006, "heartbeat timeout", heartbeat_timeout=True))
                _compat.abort(conn.ws)
                return
            except QbtMonitorError:
                return

    async def _teardown(self, conn: _Connection, *, graceful: bool) -> None:
        """Ends a connection's tasks, fails its pending requests, and closes the socket (idempotent)."""
        self._end(conn, CloseInfo(1000, "client closed") if graceful else CloseInfo(1006, ""))
        current = asyncio.current_task()
        await _cancel_and_wait([task for task in conn.tasks if task is not current])
        for future in conn.pending.values():
            if not future.done():
                future.set_exception(DisconnectedError("DISCONNECTED", "the connection closed before the reply"))
        conn.pending.clear()
        try:
            await asyncio.wait_for(conn.ws.close(1000, "client closed") if graceful else conn.ws.close(), self._close_timeout + 1)
        except Exception:
            await self._discard(conn.ws)
        if self._conn is conn:
            self._conn = None

    async def _discard(self, ws: Any) -> None:
        _compat.abort(ws)
        try:
            await asyncio.wait_for(ws.close(), self._close_timeout)
        except Exception:
            pass

    async def _shutdown(self) -> None:
        self._closing = True
        if self._state != ConnectionState.CLOSED:
            self._state = ConnectionState.CLOSING
        current = asyncio.current_task()
        supervisor = self._supervisor
        if supervisor is not None and supervisor is not current:
            await _cancel_and_wait([supervisor])
        conn = self._conn
        if conn is not None:
            await self._teardown(conn, graceful=True)
        self._finish(self._final_error, emit=False)
        dispatcher = self._dispatcher
        if dispatcher is not None:
            if dispatcher is current:
                self._dispatcher_stop = True  # close() from a handler: the loop ends after it
            else:
                await _cancel_and_wait([dispatcher])

    def _finish(self, error: Optional[QbtMonitorError], *, emit: bool = True) -> None:
        """The client has stopped: for good (error) or by ``close()`` (None)."""
        if self._state == ConnectionState.CLOSED and self._closed_event is not None and self._closed_event.is_set():
            return
        self._final_error = error
        self._state = ConnectionState.CLOSED
        if self._ready is not None:
            self._ready.clear()
        if self._closed_event is not None:
            self._closed_event.set()
        if emit and error is not None:
            logger.warning("the client stopped: %s", error)
            self._emit_local("closed", {"code": error.code, "close_code": error.close_code, "message": str(error)})

    # ------------------------------------------------------------------ internals: handlers

    def _emit_local(self, message_type: str, data: Dict[str, Any]) -> None:
        self._enqueue({"type": message_type, "timestamp": _now_iso(), "data": data})

    def _enqueue(self, message: Message) -> None:
        if self._queue is not None:
            self._queue.put_nowait(message)

    async def _dispatch_loop(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while not self._dispatcher_stop:
            message = await queue.get()
            message_type = str(message.get("type"))
            handlers = list(self._handlers.get(message_type, ())) + list(self._handlers.get("*", ()))
            for handler in handlers:
                try:
                    result = handler(message)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    logger.exception("a %s handler failed", message_type)
                if self._dispatcher_stop:
                    return


__all__ = ["QbtMonitorClient", "ConnectionState", "CloseInfo", "Message", "Handler"]
