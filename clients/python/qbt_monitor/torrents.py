"""The live torrent table on the client: started from ``torrent.list``, kept by every ``torrent.updated`` in
order, started again from the next ``torrent.list`` (the server sends one on every connection, so also
after a reconnection). Handlers learn which rows changed, so that a view redraws those rows only.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable, Dict, Iterator, List, Optional, Protocol, Tuple, Union, cast

from .dispatch import Handler
from .errors import Message
from .messages import TorrentRowSchema
from .protocol import TORRENT_STATE_GROUPS, EventName, ServerMessageType, torrent_state_group

#: One row of the table: a torrent as qBittorrent has it (docs/protocol.md, "Torrents").
TorrentRow = TorrentRowSchema

logger = logging.getLogger("qbt_monitor")


@dataclass(frozen=True)
class TorrentTableChange:
    """What one ``torrent.list`` or ``torrent.updated`` changed in the table."""

    #: The whole table was replaced (a ``torrent.list``): redraw everything.
    reset: bool
    #: Hashes whose rows are new or changed.
    changed: Tuple[str, ...]
    #: Hashes whose rows are gone.
    removed: Tuple[str, ...]


ChangeHandler = Callable[[TorrentTableChange], Union[None, Awaitable[None]]]


class MessageSource(Protocol):
    """What the table follows: a :class:`~qbt_monitor.QbtMonitorClient` (its ``on``/``off``)."""

    def on(self, message_type: str, handler: Handler) -> Handler: ...

    def off(self, message_type: str, handler: Optional[Handler] = None) -> None: ...


class TorrentTable:
    """The torrents as qBittorrent has them, kept from the client's ``torrent`` events.

    >>> table = TorrentTable(client)  # doctest: +SKIP
    >>> table.on_change(lambda change: redraw(change.changed, change.removed))  # doctest: +SKIP
    >>> await table.wait_for(lambda t: t.ready)  # doctest: +SKIP
    >>> table.counts()["downloading"]  # doctest: +SKIP

    Create it before ``connect()`` (or on a connection that has not yet received its ``torrent.list``), on
    an endpoint that delivers ``torrent`` events (``/ws`` or ``/ws/torrents``). Its updates run in the
    client's handler task, in arrival order, like every handler.
    """

    def __init__(self, client: MessageSource) -> None:
        self._rows: Dict[str, TorrentRow] = {}
        self._handlers: List[ChangeHandler] = []
        self._listed = False
        # Made by the first wait_for(), inside the running loop (Python 3.9 binds an Event to a loop when made).
        self._changed: Optional[asyncio.Event] = None
        self._client: Optional[MessageSource] = client
        client.on(ServerMessageType.TORRENT, self._on_message)

    @property
    def ready(self) -> bool:
        """Whether a ``torrent.list`` has arrived: before it the table is empty for want of knowing, not because qBittorrent is."""
        return self._listed

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, torrent_hash: object) -> bool:
        return torrent_hash in self._rows

    def get(self, torrent_hash: str) -> Optional[TorrentRow]:
        """The row of this hash (the table's own dict: read it, do not change it), or None."""
        return self._rows.get(torrent_hash)

    def rows(self) -> Iterator[TorrentRow]:
        """Every row, in no particular order (the table's own dicts: read them, do not change them)."""
        return iter(list(self._rows.values()))

    def counts(self) -> Dict[str, int]:
        """Torrents by state group (``TORRENT_STATE_GROUPS``), and ``total``."""
        counts = {"total": len(self._rows), **{group: 0 for group in TORRENT_STATE_GROUPS}}
        for row in self._rows.values():
            counts[torrent_state_group(row["state"])] += 1
        return counts

    def on_change(self, handler: ChangeHandler) -> Callable[[], None]:
        """Calls ``handler`` (plain or async) after every change with what changed; returns the function that stops it."""
        if not callable(handler):
            raise TypeError("handler must be callable")
        self._handlers.append(handler)

        def stop() -> None:
            if handler in self._handlers:
                self._handlers.remove(handler)

        return stop

    async def wait_for(self, predicate: Callable[["TorrentTable"], bool], timeout: float) -> None:
        """Returns once ``predicate(table)`` holds, checked now and after every change; raises
        ``asyncio.TimeoutError`` past ``timeout`` seconds."""

        if self._changed is None:
            self._changed = asyncio.Event()
        changed = self._changed

        async def until() -> None:
            while not predicate(self):
                changed.clear()
                await changed.wait()

        await asyncio.wait_for(until(), timeout)

    def close(self) -> None:
        """Stops following the client; the table keeps its last rows."""
        if self._client is not None:
            self._client.off(ServerMessageType.TORRENT, self._on_message)
            self._client = None

    async def _on_message(self, message: Message) -> None:
        meta = message.get("meta")
        event = meta.get("event") if isinstance(meta, dict) else None
        data = message.get("data")
        if not isinstance(data, dict):
            return
        if event == EventName.TORRENT_LIST and isinstance(data.get("torrents"), list):
            self._rows = {row["hash"]: cast(TorrentRow, dict(row)) for row in data["torrents"]}
            self._listed = True
            change = TorrentTableChange(True, tuple(self._rows), ())
        elif event == EventName.TORRENT_UPDATED and isinstance(data.get("changed"), dict):
            removed = tuple(data.get("removed") or ())
            change = TorrentTableChange(False, tuple(data["changed"]), removed)
            self._apply(data["changed"], removed)
        else:
            return
        if self._changed is not None:
            self._changed.set()
        for handler in list(self._handlers):
            try:
                result = handler(change)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("a torrent table handler failed")

    def _apply(self, changed: Dict[str, Dict[str, object]], removed: Tuple[str, ...]) -> None:
        """``removed`` first, then ``changed``, as docs/protocol.md says: a torrent removed and added again comes back whole."""
        for torrent_hash in removed:
            self._rows.pop(torrent_hash, None)
        for torrent_hash, fields in changed.items():
            row = self._rows.get(torrent_hash)
            if row is None:
                self._rows[torrent_hash] = cast(TorrentRow, dict(fields))
            else:
                cast(Dict[str, object], row).update(fields)
