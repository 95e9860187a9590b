"""Test support: the package on sys.path, the real server's URLs and keys, the control channel, a
message collector with bounded waits, and a scripted fake server.

The real-server tests are run by ``npm test`` (test/python-client.test.ts), which starts servers in
process and passes, in the environment:

- ``QBTM_WS_URL``: ``ws://127.0.0.1:PORT/ws`` of a server the tests share;
- ``QBTM_RESTART_WS_URL``: ``ws://127.0.0.1:PORT/ws`` of a second server, the one the restart test stops and starts;
- ``QBTM_EPOCH_WS_URL``: ``ws://127.0.0.1:PORT/ws`` of a third, whose data directory the epoch test replaces;
- ``QBTM_ADMIN_KEY``, ``QBTM_READ_KEY``: its API keys;
- ``QBTM_CONTROL_URL``: ``http://127.0.0.1:PORT`` of the test-only control channel (POST JSON):
  ``/publish`` ``{"server": "main"|"restart", "events": [{"name", "data"}]}`` publishes events (and waits
  until they are delivered), ``/stop`` ``{"server"}`` stops that server, ``/start``
  ``{"server", "events", "data"}`` starts it again on the same port and publishes the events before
  any client can be accepted (``data``: ``"fresh"`` for a new, empty data directory, ``"older"`` for
  the data directory of a server stopped at the start, whose event log numbers below the others';
  by default the same one), ``/restart`` does both;
- ``QBTM_TORRENTS_WS_URL``: ``ws://127.0.0.1:PORT/ws/torrents`` of a server watching a qbittorrent-nox
  (``QBTM_QBITTORRENT_URL``, ``_USERNAME``, ``_PASSWORD``) that holds one torrent (``QBTM_TORRENT_HASH``);
  or ``QBTM_TORRENTS_SKIP``: why there is none (a program missing, by hand);
- ``QBTM_REQUIRE_SERVER=1``: fail instead of skipping when something above is missing.

Run by hand without them, the pure tests run and the others are skipped with the reason.
"""
from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import unittest
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Literal, Optional, Set, Tuple, Union, get_args, get_origin, get_type_hints

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
if str(PACKAGE_ROOT) not in sys.path:
    sys.path.insert(0, str(PACKAGE_ROOT))

IN_CI = os.environ.get("CI", "").lower() == "true"
REQUIRE_SERVER = os.environ.get("QBTM_REQUIRE_SERVER") == "1"

try:
    import websockets

    WEBSOCKETS_MISSING: Optional[str] = None
except ImportError as error:  # pragma: no cover - depends on the machine
    websockets = None  # type: ignore[assignment]
    WEBSOCKETS_MISSING = (
        f"{sys.executable} cannot import websockets ({error}): install Debian's python3-websockets "
        "and run the tests with /usr/bin/python3"
    )

Message = Dict[str, Any]
EVENT_TYPES = ["performance", "alert", "status", "config", "system"]


def require_websockets(test: unittest.TestCase) -> None:
    """Skips the test when websockets is missing; fails instead under CI=true (or when run by npm test)."""
    if WEBSOCKETS_MISSING:
        if IN_CI or REQUIRE_SERVER:
            test.fail(WEBSOCKETS_MISSING)
        test.skipTest(WEBSOCKETS_MISSING)


@dataclass(frozen=True)
class ServerEnv:
    ws_url: str
    restart_ws_url: str
    epoch_ws_url: str
    admin_key: str
    read_key: str
    control_url: str


_ENV_NAMES = ("QBTM_WS_URL", "QBTM_RESTART_WS_URL", "QBTM_EPOCH_WS_URL", "QBTM_ADMIN_KEY", "QBTM_READ_KEY", "QBTM_CONTROL_URL")


def server_env(test: unittest.TestCase) -> ServerEnv:
    """The real server's settings, or skip (fail under QBTM_REQUIRE_SERVER=1) when they are not set."""
    require_websockets(test)
    missing = [name for name in _ENV_NAMES if not os.environ.get(name)]
    if missing:
        reason = f"{', '.join(missing)} not set: these tests need the real server that `npm test` starts (test/python-client.test.ts)"
        if REQUIRE_SERVER:
            test.fail(reason)
        test.skipTest(reason)
    return ServerEnv(*(os.environ[name] for name in _ENV_NAMES))


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


async def _post(url: str, body: Any, headers: Dict[str, str], timeout: float) -> Tuple[int, Any]:
    """POSTs JSON on loopback (never through a proxy); the status and the JSON answer (None when empty)."""

    def call() -> Tuple[int, Any]:
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers}, method="POST"
        )
        with _NO_PROXY.open(request, timeout=timeout) as response:
            raw = response.read()
            return int(response.status), json.loads(raw) if raw else None

    return await asyncio.wait_for(asyncio.to_thread(call), timeout + 1)


async def control(env: ServerEnv, path: str, body: Optional[Dict[str, Any]] = None, timeout: float = 30.0) -> Dict[str, Any]:
    """POSTs to the control channel and returns its JSON answer."""
    _status, answer = await _post(env.control_url + path, body or {}, {}, timeout)
    return dict(answer or {})


async def post_metrics(env: ServerEnv, metrics: List[Dict[str, Any]], timeout: float = 10.0) -> None:
    """``POST /api/v1/metrics`` on the main server with the admin key (custom metrics, as any producer sends them)."""
    url = env.ws_url.replace("ws://", "http://", 1).rsplit("/ws", 1)[0] + "/api/v1/metrics"
    status, answer = await _post(url, metrics, {"Authorization": f"Bearer {env.admin_key}"}, timeout)
    if status != 202:
        raise AssertionError(f"metrics refused: {status} {answer}")


async def publish(env: ServerEnv, events: List[Tuple[str, Dict[str, Any]]], server: str = "main") -> Dict[str, Any]:
    return await control(env, "/publish", {"server": server, "events": [{"name": n, "data": d} for n, d in events]})


def other_tasks() -> Set["asyncio.Task[Any]"]:
    """The event loop's unfinished tasks, except the one calling."""
    current = asyncio.current_task()
    return {task for task in asyncio.all_tasks() if task is not current and not task.done()}


class Collector:
    """Records every message a client hands its handlers (register with ``client.on("*", collector)``)."""

    def __init__(self) -> None:
        self.messages: List[Message] = []
        self._waiters: List[Tuple[Callable[[Message], object], int, "asyncio.Future[Message]"]] = []

    def __call__(self, message: Message) -> None:
        self.messages.append(message)
        index = len(self.messages) - 1
        for waiter in list(self._waiters):
            predicate, after, future = waiter
            if index >= after and not future.done() and predicate(message):
                future.set_result(message)

    def mark(self) -> int:
        """A position: ``wait_for(..., after=mark)`` only considers messages from there on."""
        return len(self.messages)

    def of_type(self, message_type: str) -> List[Message]:
        return [m for m in self.messages if m.get("type") == message_type]

    async def wait_for(self, predicate: Callable[[Message], object], timeout: float = 5.0, after: int = 0, what: str = "") -> Message:
        for message in self.messages[after:]:
            if predicate(message):
                return message
        future: "asyncio.Future[Message]" = asyncio.get_running_loop().create_future()
        waiter = (predicate, after, future)
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            types = [m.get("type") for m in self.messages[after:]]
            raise AssertionError(f"no message {what or 'matching'} within {timeout} s; received types: {types}") from None
        finally:
            self._waiters.remove(waiter)

    async def wait_count(self, predicate: Callable[[Message], object], count: int, timeout: float = 5.0, after: int = 0, what: str = "") -> List[Message]:
        """Waits until ``count`` messages (from ``after`` on) match; returns them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            matching = [m for m in self.messages[after:] if predicate(m)]
            if len(matching) >= count:
                return matching[:count]
            seen = len(self.messages)
            await self.wait_for(predicate, max(deadline - loop.time(), 0.0), after=max(seen, after), what=f"{what} ({len(matching)}/{count})")


def mismatches(value: Any, expected: Any, path: str = "data") -> List[str]:
    """Where ``value`` (parsed JSON) does not fit the type ``expected`` (a TypedDict of qbt_monitor.messages, or
    what their fields use); empty when it fits. Keys beyond a TypedDict's are allowed: the schemas are open."""
    origin = get_origin(expected)
    if expected is Any:
        return []
    if expected is type(None):
        return [] if value is None else [f"{path}: {value!r} is not null"]
    if origin is Union:
        options = [mismatches(value, option, path) for option in get_args(expected)]
        return [] if any(not found for found in options) else [f"{path}: fits none of {expected}: {options}"]
    if origin is Literal:
        return [] if value in get_args(expected) and type(value) is type(get_args(expected)[0]) else [f"{path}: {value!r} is not one of {get_args(expected)}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: {value!r} is not a list"]
        return [problem for i, item in enumerate(value) for problem in mismatches(item, get_args(expected)[0], f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: {value!r} is not an object"]
        return [problem for key, item in value.items() for problem in mismatches(item, get_args(expected)[1], f"{path}.{key}")]
    if isinstance(expected, type) and issubclass(expected, dict):  # a TypedDict
        if not isinstance(value, dict):
            return [f"{path}: {value!r} is not an object"]
        hints = get_type_hints(expected)
        missing = [f"{path}.{key}: missing" for key in getattr(expected, "__required_keys__", ()) if key not in value]
        return missing + [problem for key, hint in hints.items() if key in value for problem in mismatches(value[key], hint, f"{path}.{key}")]
    if expected is float:
        return [] if isinstance(value, (int, float)) and not isinstance(value, bool) else [f"{path}: {value!r} is not a number"]
    if expected is int:
        return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{path}: {value!r} is not an integer"]
    return [] if isinstance(value, expected) else [f"{path}: {value!r} is not {expected.__name__}"]


def ack_message(
    last_seq: int = 0, client_id: str = "fake-client", event_types: Optional[List[str]] = None, epoch: Optional[str] = None
) -> Message:
    """A ``connection`` acknowledgement as the server sends it (``epoch`` None: as a server from before epochs)."""
    ack: Message = {
        "type": "connection",
        "id": f"connection_fake_{last_seq}",
        "timestamp": "2024-01-01T12:00:00.000Z",
        "data": {
            "status": "connected",
            "client_id": client_id,
            "server_time": "2024-01-01T12:00:00.000Z",
            "role": "read",
            "endpoint": "/ws",
            "event_types": event_types or EVENT_TYPES,
            "last_seq": last_seq,
            "heartbeat_interval_ms": 30000,
        },
    }
    if epoch is not None:
        ack["data"]["epoch"] = epoch
    return ack


def event_message(event_type: str, data: Dict[str, Any], seq: Optional[int] = None, **meta: Any) -> Message:
    message_meta: Dict[str, Any] = dict(meta)
    if seq is not None:
        message_meta["seq"] = seq
    return {"type": event_type, "id": f"{event_type}_fake_{seq}", "timestamp": "2024-01-01T12:00:00.000Z", "data": data, "meta": message_meta}


async def send_json(ws: Any, message: Message) -> None:
    await ws.send(json.dumps(message))


async def ignore_everything(ws: Any, index: int = 0) -> None:
    """Reads and ignores every message (never answers a ping) until the client goes (a script for any connection)."""
    async for _ in ws:
        pass


@dataclass
class FakeConnection:
    index: int
    path: str
    headers: Dict[str, str]
    opened_at: float


Script = Callable[[Any, int], Awaitable[None]]


class FakeServer:
    """A loopback websockets server; ``script(ws, index)`` plays the ``index``-th connection (0-based)."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.connections: List[FakeConnection] = []
        self._server: Any = None
        self._waiters: List[Tuple[int, "asyncio.Future[None]"]] = []
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def __aenter__(self) -> "FakeServer":
        assert websockets is not None
        serve: Any = getattr(websockets, "serve")  # exported lazily: mypy cannot see it
        self._server = await serve(self._handle, "127.0.0.1", 0)
        self.port = next(iter(self._server.sockets)).getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await asyncio.wait_for(self._server.wait_closed(), 10)
            self._server = None

    async def wait_connections(self, count: int, timeout: float = 5.0) -> FakeConnection:
        if len(self.connections) < count:
            future: "asyncio.Future[None]" = asyncio.get_running_loop().create_future()
            waiter = (count, future)
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(future, timeout)
            except asyncio.TimeoutError:
                raise AssertionError(f"{len(self.connections)} connection(s) within {timeout} s, expected {count}") from None
            finally:
                self._waiters.remove(waiter)
        return self.connections[count - 1]

    async def _handle(self, ws: Any) -> None:
        request = getattr(ws, "request", None)  # websockets >= 14
        path = request.path if request is not None else ws.path
        headers = request.headers if request is not None else ws.request_headers
        connection = FakeConnection(len(self.connections), path, {k.lower(): v for k, v in headers.items()}, asyncio.get_running_loop().time())
        self.connections.append(connection)
        for count, future in self._waiters:
            if len(self.connections) >= count and not future.done():
                future.set_result(None)
        try:
            await self.script(ws, connection.index)
        except websockets.exceptions.ConnectionClosed:
            pass


@dataclass(frozen=True)
class TorrentsEnv:
    """The ``torrents`` server (``/ws/torrents``) and the qbittorrent-nox it watches, which holds one torrent."""

    ws_url: str
    admin_key: str
    read_key: str
    qbittorrent_url: str
    qbittorrent_username: str
    qbittorrent_password: str
    #: The torrent qBittorrent holds from the start (complete, made by mktorrent).
    torrent_hash: str


_TORRENT_ENV_NAMES = (
    "QBTM_TORRENTS_WS_URL",
    "QBTM_ADMIN_KEY",
    "QBTM_READ_KEY",
    "QBTM_QBITTORRENT_URL",
    "QBTM_QBITTORRENT_USERNAME",
    "QBTM_QBITTORRENT_PASSWORD",
    "QBTM_TORRENT_HASH",
)


def torrents_env(test: unittest.TestCase) -> TorrentsEnv:
    """The torrents server's settings, or skip: when the harness says why (a program missing, by hand), or
    when run without the harness (failing instead under QBTM_REQUIRE_SERVER=1)."""
    require_websockets(test)
    reason = os.environ.get("QBTM_TORRENTS_SKIP")
    if reason:
        test.skipTest(reason)
    missing = [name for name in _TORRENT_ENV_NAMES if not os.environ.get(name)]
    if missing:
        reason = f"{', '.join(missing)} not set: these tests need the qbittorrent-nox and server that `npm test` starts"
        if REQUIRE_SERVER:
            test.fail(reason)
        test.skipTest(reason)
    return TorrentsEnv(*(os.environ[name] for name in _TORRENT_ENV_NAMES))


class QbittorrentWebUi:
    """qBittorrent's own WebUI API (``/api/v2``), logged in, on loopback: what the tests compare with."""

    def __init__(self, env: TorrentsEnv) -> None:
        self._env = env
        self._cookie: Optional[str] = None

    def _login(self) -> str:
        form = urllib.parse.urlencode({"username": self._env.qbittorrent_username, "password": self._env.qbittorrent_password})
        request = urllib.request.Request(
            f"{self._env.qbittorrent_url}/api/v2/auth/login", data=form.encode(), headers={"Referer": self._env.qbittorrent_url}, method="POST"
        )
        with _NO_PROXY.open(request, timeout=5) as response:
            cookie = response.headers.get("Set-Cookie", "").split(";", 1)[0]
            if response.read().strip() != b"Ok." or not cookie:
                raise AssertionError("qbittorrent-nox refused the login")
            return str(cookie)

    def _torrents_info(self) -> List[Dict[str, Any]]:
        if self._cookie is None:
            self._cookie = self._login()
        request = urllib.request.Request(
            f"{self._env.qbittorrent_url}/api/v2/torrents/info", headers={"Referer": self._env.qbittorrent_url, "Cookie": self._cookie}
        )
        with _NO_PROXY.open(request, timeout=5) as response:
            return list(json.loads(response.read()))

    async def torrents_info(self) -> List[Dict[str, Any]]:
        """``GET /api/v2/torrents/info``: every torrent as qBittorrent reports it."""
        return await asyncio.wait_for(asyncio.to_thread(self._torrents_info), 10)


def expected_row(info: Dict[str, Any], source: str) -> Dict[str, Any]:
    """qBittorrent's ``torrents/info`` entry as the service's row should read it (docs/protocol.md's
    mapping, written out here apart from the server's code)."""

    def iso(seconds: int) -> Optional[str]:
        return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z") if seconds > 0 else None

    return {
        "hash": info["hash"],
        "name": info["name"],
        "state": info["state"],
        "progress": info["progress"],
        "size": info["size"],
        "category": info["category"],
        "tags": [tag.strip() for tag in str(info["tags"]).split(",") if tag.strip()],
        "save_path": info["save_path"],
        "added_on": iso(info["added_on"]),
        "completion_on": iso(info["completion_on"]),
        "source": source,
        "dl_speed": info["dlspeed"],
        "up_speed": info["upspeed"],
        "eta": info["eta"] if 0 <= info["eta"] < 8_640_000 else None,
        # JavaScript's Math.round to three places (half up), not Python's round (half to even).
        "ratio": math.floor(info["ratio"] * 1000 + 0.5) / 1000,
        "num_seeds": info["num_seeds"],
        "num_leechs": info["num_leechs"],
    }
