"""The torrent table helper and the torrent REST calls against a real server watching a real qbittorrent-nox:
the table kept from ``torrent.list`` and ``torrent.updated`` equals qBittorrent's ``/api/v2/torrents/info``
as torrents are stopped, started, added and deleted; a client that was away gets the lifecycle it missed,
once, by resuming with its ``seq`` and epoch."""
import asyncio
import secrets
import unittest
from typing import Any, Dict, List, Optional

from qbtm_testing import Collector, QbittorrentWebUi, TorrentsEnv, expected_row, mismatches, torrents_env

from qbt_monitor.torrents import TorrentTable

LIFECYCLE = ("torrent.added", "torrent.completed", "torrent.errored", "torrent.stalled", "torrent.removed")
STOPPED = ("pausedUP", "stoppedUP")


def state_of(table: TorrentTable, torrent_hash: str) -> Optional[str]:
    row = table.get(torrent_hash)
    return None if row is None else row["state"]


class TorrentTableTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self.env: TorrentsEnv = torrents_env(self)
        from qbt_monitor import QbtMonitorClient, TorrentsApi

        self.qbittorrent = QbittorrentWebUi(self.env)
        self.client = QbtMonitorClient(self.env.ws_url, self.env.read_key, ping_interval=None, request_timeout=5.0, close_timeout=2.0)
        self.addAsyncCleanup(self.client.close)
        self.seen = Collector()
        self.client.on("*", self.seen)
        self.table = TorrentTable(self.client)
        self.api = TorrentsApi(self.env.ws_url, self.env.admin_key)
        await self.client.connect()
        await self.table.wait_for(lambda table: table.ready, timeout=5.0)

    async def assert_table_is_qbittorrents(self, table: TorrentTable, sources: Dict[str, str], what: str) -> None:
        """Waits until ``table`` equals ``torrents/info`` (read again whenever qBittorrent moved meanwhile)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15.0
        while True:
            expected = {info["hash"]: expected_row(info, sources.get(info["hash"], "qbittorrent")) for info in await self.qbittorrent.torrents_info()}
            try:
                await table.wait_for(lambda t: {row["hash"]: dict(row) for row in t.rows()} == expected, timeout=1.0)
                return
            except asyncio.TimeoutError:
                if loop.time() > deadline:
                    actual = {row["hash"]: dict(row) for row in table.rows()}
                    self.assertEqual(actual, expected, f"{what}: the table is not qBittorrent's")

    async def test_the_table_follows_qbittorrent_through_stop_start_add_and_delete(self) -> None:
        from qbt_monitor import HttpError, TorrentsApi
        from qbt_monitor.messages import TorrentLifecycleData, TorrentListData, TorrentUpdatedData

        shared = self.env.torrent_hash
        table = self.table
        sources: Dict[str, str] = {}
        await self.assert_table_is_qbittorrents(table, sources, "from torrent.list")
        listed = self.seen.of_type("torrent")[0]
        self.assertEqual(listed["meta"]["event"], "torrent.list")
        self.assertEqual(mismatches(listed["data"], TorrentListData), [])
        self.assertIn(shared, table)
        self.assertEqual(len(table), 1)
        self.assertEqual(table.counts()["total"], 1)

        # Stopped through the REST call (pause on qBittorrent 4.x): the change arrives as a delta.
        changes: List[Any] = []
        stop_following = table.on_change(changes.append)
        await self.api.stop(shared)
        await table.wait_for(lambda t: state_of(t, shared) in STOPPED, timeout=10.0)
        self.assertTrue(any(shared in change.changed and not change.reset for change in changes), "told which row changed")
        await self.assert_table_is_qbittorrents(table, sources, "stopped")
        self.assertEqual((table.counts()["stopped"], table.counts()["seeding"]), (1, 0))
        page = await self.api.list(state=["stopped"], sort="name")
        self.assertEqual(([row["hash"] for row in page["torrents"]], page["total"], page["offset"]), ([shared], 1, 0))
        self.assertEqual((await self.api.list(state=["downloading"]))["total"], 0)
        stop_following()

        await self.api.start(shared)
        await table.wait_for(lambda t: state_of(t, shared) not in STOPPED, timeout=10.0)
        await self.assert_table_is_qbittorrents(table, sources, "started")
        updates = [m for m in self.seen.of_type("torrent") if m["meta"]["event"] == "torrent.updated"]
        self.assertTrue(updates)
        self.assertEqual([problem for m in updates for problem in mismatches(m["data"], TorrentUpdatedData)], [])

        # What a read key may not do, and a hash qBittorrent does not have.
        reader = TorrentsApi(self.env.ws_url, self.env.read_key)
        with self.assertRaises(HttpError) as refused:
            await reader.stop(shared)
        self.assertEqual((refused.exception.status, refused.exception.code), (403, "FORBIDDEN"))
        with self.assertRaises(HttpError) as unknown:
            await self.api.recheck("0" * 40)
        self.assertEqual((unknown.exception.status, unknown.exception.code), (404, "NOT_FOUND"))

        # A client that goes away here, and comes back after a torrent was added and deleted.
        away_seq, away_epoch = self.client.last_seq, self.client.epoch
        self.assertIsNotNone(away_epoch)

        # Added over REST: a magnet nobody seeds (no tracker, DHT off) stays in qBittorrent, fetching metadata.
        added_hash = secrets.token_hex(20)
        result = await self.api.add([f"magnet:?xt=urn:btih:{added_hash}&dn=py-added"])
        self.assertEqual([link["info_hash"] for link in result["added"]], [added_hash])
        sources[added_hash] = "api"
        await table.wait_for(lambda t: added_hash in t, timeout=10.0)
        added_row = table.get(added_hash)
        assert added_row is not None
        self.assertEqual(added_row["source"], "api")
        await self.assert_table_is_qbittorrents(table, sources, "after the add")
        self.assertEqual(table.counts()["total"], 2)

        await self.api.delete(added_hash, delete_files=True)
        await table.wait_for(lambda t: added_hash not in t, timeout=10.0)
        await self.assert_table_is_qbittorrents(table, sources, "after the delete")

        def lifecycle(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
            return [m for m in messages if m["meta"].get("event") in LIFECYCLE and m["data"]["hash"] == added_hash]

        await self.seen.wait_for(lambda m: m.get("meta", {}).get("event") == "torrent.removed", what="torrent.removed")
        live = lifecycle(self.seen.of_type("torrent"))
        self.assertEqual([m["meta"]["event"] for m in live], ["torrent.added", "torrent.removed"])
        self.assertEqual([problem for m in live for problem in mismatches(m["data"], TorrentLifecycleData)], [])
        self.assertEqual([m["data"]["source"] for m in live], ["api", "api"])

        # Back with the saved point: the missed lifecycle is replayed once, and the table starts from a new list.
        from qbt_monitor import QbtMonitorClient

        back = QbtMonitorClient(self.env.ws_url, self.env.read_key, ping_interval=None, request_timeout=5.0, close_timeout=2.0)
        self.addAsyncCleanup(back.close)
        returned = Collector()
        back.on("*", returned)
        back_table = TorrentTable(back)
        await back.connect(since=away_seq, epoch=away_epoch)
        resumed = await returned.wait_for(lambda m: m["type"] == "resumed", what="resumed")
        self.assertFalse(resumed["data"]["gap"])
        self.assertEqual(resumed["data"]["epoch"], away_epoch)
        replayed = [m for m in returned.of_type("torrent") if m["meta"].get("replay")]
        self.assertEqual([m["meta"]["event"] for m in replayed], ["torrent.added", "torrent.removed"], "each missed event once, in order")
        self.assertEqual(lifecycle(replayed), replayed)
        self.assertEqual([m["meta"]["seq"] for m in replayed], [m["meta"]["seq"] for m in live], "the same events, not new ones")
        await back_table.wait_for(lambda t: t.ready, timeout=5.0)
        await self.assert_table_is_qbittorrents(back_table, sources, "the returning client's")
        self.assertEqual(back.stats["duplicates_dropped"], 0)


if __name__ == "__main__":
    unittest.main()
