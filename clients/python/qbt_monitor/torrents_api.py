"""The torrents over the service's REST API, as the TypeScript SDK's ``TorrentsApi`` offers them: list
(filtered, sorted, paged), add links, and the row actions an admin key may take (stop/start, recheck,
delete with or without the files). The same key as the WebSocket; the standard library's HTTP client, run
in a thread so that the event loop never waits on the network.
"""
from __future__ import annotations

import asyncio
import json
import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, TypedDict
from urllib.error import HTTPError
from urllib.parse import quote, urlencode, urlsplit
from urllib.request import Request, urlopen

from .errors import QbtMonitorError
from .protocol import ErrorCode
from .torrents import TorrentRow


class TorrentPage(TypedDict):
    """One page of ``GET /api/v1/torrents``."""

    #: Every torrent the query matches, beyond this page too.
    total: int
    offset: int
    torrents: List[TorrentRow]


class AddedLink(TypedDict):
    kind: str
    info_hash: Optional[str]
    name: Optional[str]


class FailedLink(AddedLink):
    reason: str


class AddResult(TypedDict):
    """What ``POST /api/v1/torrents`` did with each link."""

    added: List[AddedLink]
    #: Links whose torrent qBittorrent already has.
    duplicates: List[AddedLink]
    failed: List[FailedLink]


class HttpError(QbtMonitorError):
    """The service refused a REST call: ``code`` is the protocol's error code, ``status`` the HTTP status."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(code, message)
        self.status = status

    def __str__(self) -> str:
        return f"{super().__str__()} (HTTP {self.status})"


def rest_base(url: str) -> str:
    """The service's HTTP address from its WebSocket endpoint (``ws://host:8080/ws``) or its HTTP address.

    The endpoint's ``/ws...`` path is dropped, a reverse proxy's prefix before it kept.
    """
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    if scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not a ws://, wss://, http:// or https:// URL: {url!r}")
    path = re.sub(r"/ws(/[a-z]+)?/?$", "", parts.path) if parts.scheme in ("ws", "wss") else parts.path.rstrip("/")
    return f"{scheme}://{parts.netloc}{path}"


class TorrentsApi:
    """``GET``/``POST``/``DELETE /api/v1/torrents...`` with an API key (admin for everything but ``list``).

    >>> api = TorrentsApi("ws://127.0.0.1:8080/ws", admin_key)  # doctest: +SKIP
    >>> page = await api.list(state=["downloading"], sort="progress", reverse=True, limit=20)  # doctest: +SKIP
    >>> await api.stop(page["torrents"][0]["hash"])  # doctest: +SKIP

    A refusal raises :class:`HttpError` (``FORBIDDEN`` for a read key, ``NOT_FOUND`` for an unknown hash,
    ``UNAVAILABLE`` when qBittorrent did not act); a network failure raises ``OSError``.
    """

    def __init__(self, url: str, api_key: str, *, timeout: float = 10.0) -> None:
        self._base = f"{rest_base(url)}/api/v1/torrents"
        self._api_key = api_key
        self._timeout = timeout

    async def list(
        self,
        *,
        state: Optional[Sequence[str]] = None,
        category: Optional[str] = None,
        tag: Optional[str] = None,
        search: Optional[str] = None,
        sort: Optional[str] = None,
        reverse: Optional[bool] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> TorrentPage:
        """The rows matching every filter given, sorted by ``sort`` (a row field; ``added_on`` by default).

        ``state``: qBittorrent state names or groups (``stopped`` finds ``pausedDL`` and ``stoppedDL``);
        ``search``: part of the name, any case; ``limit`` (default 100) and ``offset`` page the result.
        """
        query: Dict[str, Any] = {
            "state": None if state is None else ",".join(state),
            "category": category,
            "tag": tag,
            "search": search,
            "sort": sort,
            "reverse": None if reverse is None else str(reverse).lower(),
            "limit": limit,
            "offset": offset,
        }
        given = {key: value for key, value in query.items() if value is not None}
        page: TorrentPage = await self._call("GET", f"?{urlencode(given)}" if given else "")
        return page

    async def add(self, urls: Iterable[str]) -> AddResult:
        """Adds magnet links or ``.torrent`` URLs (admin key), as the clipboard would (``source: "api"``)."""
        result: AddResult = await self._call("POST", "", {"urls": list(urls)})
        return result

    async def stop(self, torrent_hash: str) -> None:
        """Stops a torrent (admin key): qBittorrent 5's stop, an earlier one's pause."""
        await self._act(torrent_hash, "stop")

    async def start(self, torrent_hash: str) -> None:
        """Starts a torrent (admin key): qBittorrent 5's start, an earlier one's resume."""
        await self._act(torrent_hash, "start")

    async def recheck(self, torrent_hash: str) -> None:
        """Has qBittorrent check the torrent's data again (admin key)."""
        await self._act(torrent_hash, "recheck")

    async def delete(self, torrent_hash: str, *, delete_files: bool = False) -> None:
        """Removes a torrent from qBittorrent (admin key), its downloaded data too with ``delete_files``."""
        await self._call("DELETE", f"/{quote(torrent_hash, safe='')}?delete_files={str(delete_files).lower()}")

    async def _act(self, torrent_hash: str, action: str) -> None:
        await self._call("POST", f"/{quote(torrent_hash, safe='')}/{action}")

    async def _call(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        request = Request(f"{self._base}{path}", method=method, headers={"Authorization": f"Bearer {self._api_key}"})
        if body is not None:
            request.data = json.dumps(body).encode("utf-8")
            request.add_header("Content-Type", "application/json")
        return await asyncio.to_thread(self._send, request)

    def _send(self, request: Request) -> Any:
        try:
            with urlopen(request, timeout=self._timeout) as response:
                return json.loads(response.read())
        except HTTPError as refused:
            with refused:
                raise _refusal(refused.code, refused.read()) from None


def _refusal(status: int, body: bytes) -> HttpError:
    """The protocol's ``{"error": {"code", "message"}}`` of a refusal, or the bare status when the body is not that."""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        error = None
    if not isinstance(error, dict):
        error = {}
    return HttpError(str(error.get("code") or ErrorCode.UNAVAILABLE), str(error.get("message") or f"HTTP {status}"), status)
