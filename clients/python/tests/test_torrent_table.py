"""The torrent table helper fed messages shaped as the server sends them (no server: the rules of applying
``torrent.list`` and ``torrent.updated``), and the REST calls' address taken from the WebSocket one."""
import asyncio
import logging
import unittest
from typing import Any, Dict, List, Optional

import qbtm_testing  # noqa: F401  (puts the package on sys.path)

from qbt_monitor import TorrentTable, TorrentTableChange
from qbt_monitor.dispatch import Handler
from qbt_monitor.errors import Message
from qbt_monitor.torrents_api import rest_base

A, B, C = "a" * 40, "b" * 40, "c" * 40


def row(torrent_hash: str, state: str = "downloading", **fields: Any) -> Dict[str, Any]:
    base: Dict[str, Any] = {
        "hash": torrent_hash, "name": f"n-{torrent_hash[0]}", "state": state, "progress": 0.5, "size": 100, "category": "",
        "tags": [], "save_path": "/d", "added_on": "2026-01-01T00:00:00.000Z", "completion_on": None, "source": "qbittorrent",
        "dl_speed": 0, "up_speed": 0, "eta": None, "ratio": 0, "num_seeds": 0, "num_leechs": 0,
    }
    return {**base, **fields}


def listed(*rows: Dict[str, Any]) -> Message:
    return {"type": "torrent", "data": {"torrents": list(rows)}, "meta": {"event": "torrent.list", "snapshot": True}}


def updated(changed: Dict[str, Dict[str, Any]], removed: Optional[List[str]] = None) -> Message:
    return {"type": "torrent", "data": {"changed": changed, "removed": removed or []}, "meta": {"event": "torrent.updated"}}


class Source:
    """A client's ``on``/``off`` and nothing else: the messages are handed over as its dispatcher would."""

    def __init__(self) -> None:
        self.handlers: Dict[str, List[Handler]] = {}

    def on(self, message_type: str, handler: Handler) -> Handler:
        self.handlers.setdefault(message_type, []).append(handler)
        return handler

    def off(self, message_type: str, handler: Optional[Handler] = None) -> None:
        self.handlers[message_type].remove(handler)  # type: ignore[arg-type]

    async def deliver(self, message: Message) -> None:
        for handler in list(self.handlers.get(str(message["type"]), ())):
            result = handler(message)
            if result is not None:
                await result


class TorrentTableTests(unittest.IsolatedAsyncioTestCase):
    async def test_a_list_starts_it_and_updates_apply_removed_then_changed(self) -> None:
        source = Source()
        table = TorrentTable(source)
        changes: List[TorrentTableChange] = []
        table.on_change(changes.append)
        await source.deliver(updated({A: {"progress": 0.9}}))
        self.assertFalse(table.ready, "not before a torrent.list")

        await source.deliver(listed(row(A), row(B, "pausedDL")))
        self.assertTrue(table.ready)
        self.assertEqual((len(table), A in table, C in table), (2, True, False))
        self.assertEqual(changes[-1], TorrentTableChange(True, (A, B), ()))

        await source.deliver(updated({A: {"progress": 0.75, "dl_speed": 10}, C: row(C, "stoppedUP")}, [B]))
        self.assertEqual(changes[-1], TorrentTableChange(False, (A, C), (B,)))
        self.assertEqual(table.get(A), row(A, progress=0.75, dl_speed=10), "fields merge into the row")
        self.assertIsNone(table.get(B))
        self.assertEqual(sorted(r["hash"] for r in table.rows()), [A, C])

        # Removed and added again in one delta: it comes back whole, not merged into the old row.
        await source.deliver(updated({A: row(A, "uploading", name="again", progress=1)}, [A]))
        self.assertEqual(table.get(A), row(A, "uploading", name="again", progress=1))

        counts = table.counts()
        self.assertEqual((counts["total"], counts["seeding"], counts["stopped"], counts["downloading"]), (2, 1, 1, 0))
        self.assertEqual(sum(n for group, n in counts.items() if group != "total"), counts["total"])

        # A new connection's list replaces the table whole.
        await source.deliver(listed(row(B, "stalledDL"), row(C, "weirdNewState")))
        self.assertEqual(sorted(r["hash"] for r in table.rows()), [B, C])
        self.assertEqual((table.counts()["stalled"], table.counts()["other"]), (1, 1))

    async def test_handlers_plain_async_failing_stopped_and_close(self) -> None:
        source = Source()
        table = TorrentTable(source)
        plain: List[bool] = []
        awaited: List[bool] = []

        async def later(change: TorrentTableChange) -> None:
            await asyncio.sleep(0)
            awaited.append(change.reset)

        def failing(change: TorrentTableChange) -> None:
            raise RuntimeError("a broken view")

        stop = table.on_change(lambda change: plain.append(change.reset))
        table.on_change(failing)
        table.on_change(later)
        with self.assertLogs("qbt_monitor", logging.ERROR):
            await source.deliver(listed(row(A)))
        self.assertEqual((plain, awaited), ([True], [True]), "a failing handler does not keep the others from running")

        stop()
        with self.assertLogs("qbt_monitor", logging.ERROR):
            await source.deliver(updated({A: {"progress": 1}}))
        self.assertEqual((plain, awaited), ([True], [True, False]))

        table.close()
        self.assertEqual(source.handlers["torrent"], [])
        await source.deliver(updated({A: {"progress": 0}}))
        self.assertEqual(table.get(A), row(A, progress=1), "closed: the last rows stay, nothing more is applied")
        with self.assertRaises(TypeError):
            table.on_change("not callable")  # type: ignore[arg-type]

    async def test_wait_for_returns_on_the_change_and_times_out_without_it(self) -> None:
        source = Source()
        table = TorrentTable(source)
        waiting = asyncio.ensure_future(table.wait_for(lambda t: [r["progress"] for r in t.rows()] == [1], timeout=5))
        await source.deliver(listed(row(A)))
        await asyncio.sleep(0)
        self.assertFalse(waiting.done())
        await source.deliver(updated({A: {"progress": 1}}))
        await asyncio.wait_for(waiting, 1)
        with self.assertRaises(asyncio.TimeoutError):
            await table.wait_for(lambda t: len(t) == 2, timeout=0.05)


class RestBaseTests(unittest.TestCase):
    def test_the_http_address_of_a_websocket_endpoint(self) -> None:
        cases = {
            "ws://127.0.0.1:8080/ws": "http://127.0.0.1:8080",
            "ws://127.0.0.1:8080/ws/torrents": "http://127.0.0.1:8080",
            "wss://example.org/monitor/ws/": "https://example.org/monitor",
            "http://127.0.0.1:8080/": "http://127.0.0.1:8080",
            "https://example.org/monitor": "https://example.org/monitor",
        }
        self.assertEqual({url: rest_base(url) for url in cases}, cases)
        with self.assertRaises(ValueError):
            rest_base("ftp://example.org/")


if __name__ == "__main__":
    unittest.main()
