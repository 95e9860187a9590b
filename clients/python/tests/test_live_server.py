"""QbtMonitorClient against the real server that `npm test` starts (URL and keys from the environment)."""
import asyncio
import unittest
import uuid
from typing import Any, Dict, List

from qbtm_testing import Collector, mismatches, other_tasks, post_metrics, publish, server_env
from qbt_monitor import messages
from qbt_monitor import (
    AuthenticationError,
    ClientClosedError,
    QbtMonitorError,
)

ALL_TYPES = ["performance", "alert", "status", "config", "system", "torrent"]


def alert(tag: str, kind: str, level: str) -> Dict[str, Any]:
    return {
        "alert_id": f"{tag}-{kind}-{level}",
        "type": kind,
        "level": level,
        "title": f"{kind} {level}",
        "message": "from the Python client tests",
        "value": 85.2,
        "threshold": 80.0,
        "status": "active",
        "metadata": {"affected_processes": ["python"], "suggestion": "none"},
    }


def marker(tag: str) -> Dict[str, Any]:
    return {"component": "py_marker", "status": "running", "marker": tag}


class LiveServerTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self.env = server_env(self)
        from qbt_monitor import ConnectionState, QbtMonitorClient

        self.Client = QbtMonitorClient
        self.State = ConnectionState
        self.tag = uuid.uuid4().hex[:10]

    def client(self, url: str = "", key: Any = "", **options: Any) -> Any:
        settings: Dict[str, Any] = dict(initial_delay=0.05, max_delay=0.5, request_timeout=5.0, connect_timeout=5.0, close_timeout=2.0)
        settings.update(options)
        client = self.Client(url or self.env.ws_url, self.env.read_key if key == "" else key, **settings)
        self.addAsyncCleanup(client.close)
        return client

    async def test_connects_with_the_bearer_header_and_is_acknowledged(self) -> None:
        async with self.Client(self.env.ws_url, self.env.read_key, client_id=f"py-ack-{self.tag}") as client:
            self.assertEqual(client.state, self.State.OPEN)
            self.assertTrue(client.connected)
            assert client.ack is not None
            data = client.ack["data"]
            self.assertEqual(data["status"], "connected")
            self.assertEqual(data["client_id"], f"py-ack-{self.tag}", "X-Client-ID is echoed")
            self.assertEqual(data["role"], "read")
            self.assertEqual(data["endpoint"], "/ws")
            self.assertEqual(data["event_types"], ALL_TYPES)
            self.assertIsInstance(data["last_seq"], int)
            self.assertGreaterEqual(client.last_seq, data["last_seq"], "tracking starts from the ack's last_seq")
            pong = await client.ping()
            self.assertEqual(pong["type"], "pong")
        self.assertEqual(client.state, self.State.CLOSED)

    async def test_a_token_in_the_url_works_too(self) -> None:
        client = self.client(f"{self.env.ws_url}?token={self.env.admin_key}", None)
        ack = await client.connect()
        self.assertEqual(ack["data"]["role"], "admin")

    async def test_subscribe_with_filters_receives_only_matching_alerts(self) -> None:
        client = self.client()
        seen = Collector()
        client.on("*", seen)
        await client.connect()
        reply = await client.subscribe(["alert.cpu"], {"level": ["warning", "critical"]})
        self.assertEqual(reply["type"], "subscribed")
        self.assertTrue(reply["meta"]["reply_to"].startswith("subscribe_"), "matched by meta.reply_to")
        self.assertEqual(reply["data"]["events"], ["alert.cpu"])
        self.assertEqual(reply["data"]["subscriptions"], [{"pattern": "alert.cpu", "filters": {"level": ["warning", "critical"]}}])
        self.assertEqual(reply["data"]["unfiltered_types"], ["performance", "status", "config", "system", "torrent"])
        self.assertEqual(client.subscriptions, {k: reply["data"][k] for k in ("subscriptions", "unfiltered_types")}, "the local model agrees")

        tag = self.tag
        await publish(
            self.env,
            [
                ("alert.cpu", alert(tag, "cpu", "info")),
                ("alert.cpu", alert(tag, "cpu", "warning")),
                ("alert.memory", alert(tag, "memory", "critical")),
                ("alert.cpu", alert(tag, "cpu", "critical")),
                ("status.py_marker", marker(tag)),
            ],
        )
        await seen.wait_for(lambda m: m["type"] == "status" and m["data"].get("marker") == tag, what="the marker status")
        got = [m["data"]["alert_id"] for m in seen.of_type("alert") if m["data"]["alert_id"].startswith(tag)]
        self.assertEqual(got, [f"{tag}-cpu-warning", f"{tag}-cpu-critical"])
        self.assertEqual(client.stats["unsubscribed_dropped"], 0, "the server filtered: nothing reached the local safety net")

        reply = await client.unsubscribe(["alert.cpu"])
        self.assertEqual(reply["type"], "unsubscribed")
        self.assertEqual(reply["data"]["subscriptions"], [])
        self.assertNotIn("alert", reply["data"]["unfiltered_types"], "unsubscribe does not bring the default back")
        self.assertEqual(client.subscriptions, {k: reply["data"][k] for k in ("subscriptions", "unfiltered_types")})

    async def test_an_invalid_subscription_raises_and_changes_nothing(self) -> None:
        client = self.client()
        await client.connect()
        with self.assertRaises(QbtMonitorError) as caught:
            await client.subscribe(["nonsense.thing"])
        self.assertEqual(caught.exception.code, "INVALID_SUBSCRIPTION")
        self.assertEqual(client.subscriptions["subscriptions"], [])
        self.assertEqual(client.subscriptions["unfiltered_types"], ALL_TYPES)

        alerts_only = self.client(self.env.ws_url.replace("/ws", "/ws/alerts"))
        ack = await alerts_only.connect()
        self.assertEqual(ack["data"]["event_types"], ["alert"])
        with self.assertRaises(QbtMonitorError) as caught:
            await alerts_only.subscribe(["performance"])
        self.assertEqual(caught.exception.code, "INVALID_SUBSCRIPTION")

    async def test_request_data_returns_the_data_reply(self) -> None:
        client = self.client()
        await client.connect()
        sample = {"cpu_percent": 12.5, "memory_percent": 34.5, "disk_usage_percent": 56.5,
                  "network_io": {"bytes_sent": 1, "bytes_recv": 2}, "process_count": 7}
        await publish(self.env, [("performance.system", sample)])
        requested = ["cpu_percent", "memory_percent", f"no_such_metric_{self.tag}"]
        reply = await client.request_data(requested, 10)
        self.assertEqual(reply["type"], "data")
        self.assertTrue(reply["meta"]["reply_to"].startswith("request_data_"), "matched by meta.reply_to")
        data = reply["data"]
        self.assertEqual(data["history_minutes"], 10)
        self.assertEqual(sorted(data["metrics"]), ["cpu_percent", "memory_percent"])
        self.assertEqual(data["unknown_metrics"], [requested[2]], "unknown names are reported, not dropped")
        for name, metric in data["metrics"].items():
            self.assertIsInstance(metric["current"], (int, float), name)
            self.assertGreaterEqual(len(metric["samples"]), 1, f"{name}: the published sample is in the history")
            for point in metric["samples"]:
                self.assertIsInstance(point["timestamp"], str)
                self.assertIsInstance(point["value"], (int, float))
            if "unit" in metric:
                self.assertIsInstance(metric["unit"], str)

    async def test_the_heartbeat_gets_pongs_and_keeps_the_connection(self) -> None:
        client = self.client(ping_interval=0.1, ping_timeout=2.0)
        seen = Collector()
        client.on("*", seen)
        await client.connect()
        await seen.wait_count(lambda m: m["type"] == "pong", 3, timeout=5.0, what="pongs")
        self.assertEqual(client.stats["heartbeat_timeouts"], 0)
        self.assertEqual(client.stats["connections"], 1)
        self.assertFalse(seen.of_type("disconnected"))

    async def test_a_wrong_key_raises_authentication_error_without_retrying(self) -> None:
        before = other_tasks()
        client = self.client(key="not-a-valid-key", max_reconnect_attempts=5, initial_delay=0.01)
        with self.assertRaises(AuthenticationError) as caught:
            await asyncio.wait_for(client.connect(), 10.0)
        self.assertEqual(caught.exception.code, "AUTH_FAILED")
        self.assertEqual(caught.exception.close_code, 4401)
        self.assertEqual(client.stats["connection_attempts"], 1, "4401 is final: no reconnect loop")
        self.assertEqual(client.state, self.State.CLOSED)
        self.assertEqual(other_tasks() - before, set())

    async def test_handlers_sync_and_async_and_off(self) -> None:
        client = self.client()
        sync_seen: List[str] = []
        async_seen: List[str] = []
        handled = {"1": asyncio.Event(), "2": asyncio.Event()}

        def on_status_sync(message: Dict[str, Any]) -> None:
            if message["data"].get("component") == "py_handlers":
                sync_seen.append(message["data"]["n"])

        async def on_status_async(message: Dict[str, Any]) -> None:
            if message["data"].get("component") != "py_handlers":
                return
            await client.ping()  # a handler may await a request: replies are not read by the dispatcher
            async_seen.append(message["data"]["n"])
            handled[message["data"]["n"]].set()

        self.assertIs(client.on("status", on_status_sync), on_status_sync)
        client.on("status", on_status_async)
        await client.connect()
        await publish(self.env, [("status.py_handlers", {"component": "py_handlers", "status": "running", "n": "1"})])
        await asyncio.wait_for(handled["1"].wait(), 5.0)
        client.off("status", on_status_sync)
        await publish(self.env, [("status.py_handlers", {"component": "py_handlers", "status": "running", "n": "2"})])
        await asyncio.wait_for(handled["2"].wait(), 5.0)
        self.assertEqual(async_seen, ["1", "2"])
        self.assertEqual(sync_seen, ["1"], "removed by off() before n=2")

    async def test_acknowledge_alert_is_carried_on_the_alerts_next_event(self) -> None:
        admin = self.client(key=self.env.admin_key)
        seen = Collector()
        admin.on("alert", seen)
        await admin.connect()
        await admin.subscribe(["alert.py_ack"])
        await post_metrics(self.env, [{"metric_name": "py_ack", "value": 500, "unit": "jobs"}])  # over the rule's 100
        fired = await seen.wait_for(lambda m: m["data"]["status"] == "active" and not m.get("meta", {}).get("snapshot"), what="the alert")
        alert_id = fired["data"]["alert_id"]
        self.assertNotIn("acknowledged_by", fired["data"], "a new alert carries none of it")

        reader = self.client()
        await reader.connect()
        with self.assertRaises(QbtMonitorError) as caught:
            await reader.acknowledge_alert(alert_id, "read keys may not")
        self.assertEqual(caught.exception.code, "FORBIDDEN")
        with self.assertRaises(QbtMonitorError) as caught:
            await admin.acknowledge_alert(f"no-such-alert-{self.tag}")
        self.assertEqual(caught.exception.code, "NOT_FOUND")

        reply = await admin.acknowledge_alert(alert_id, "looking at it")
        self.assertEqual(reply["type"], "ack")
        self.assertEqual(reply["data"], {"request": "acknowledge_alert", "alert_id": alert_id})
        self.assertTrue(reply["meta"]["reply_to"].startswith("acknowledge_alert_"))
        update = await seen.wait_for(lambda m: "acknowledged_by" in m["data"], what="the acknowledged alert")
        data = update["data"]
        self.assertEqual((data["alert_id"], data["status"]), (alert_id, "active"), "the same alert, still active")
        self.assertEqual((data["acknowledged_by"], data["acknowledgement"]), ("test-admin", "looking at it"))
        self.assertEqual(mismatches(data, messages.AlertActiveData), [])

        await post_metrics(self.env, [{"metric_name": "py_ack", "value": 10, "unit": "jobs"}])  # under 50: resolved
        resolved = await seen.wait_for(lambda m: m["data"]["status"] == "resolved", what="the resolution")
        self.assertEqual(resolved["data"]["alert_id"], alert_id)

    async def test_the_generated_message_types_describe_what_the_server_sends(self) -> None:
        client = self.client(key=self.env.admin_key)
        seen = Collector()
        client.on("*", seen)
        await client.connect()
        tag = self.tag
        sample = {"cpu_percent": 1.5, "memory_percent": 2, "disk_usage_percent": 3.25,
                  "network_io": {"bytes_sent": 10, "bytes_recv": 20}, "process_count": 4}
        custom = {"metric_name": f"py_types_{tag}", "value": 7, "unit": "ms", "category": "test", "tags": {"k": "v"}}
        resolved = {"alert_id": f"{tag}-cpu-warning", "type": "cpu", "level": "warning", "status": "resolved",
                    "resolved_at": "2024-01-01T12:00:00.000Z", "resolution": "checked by the types test", "resolved_by": "py"}
        await client.subscribe(["alert.*", "status.*", "performance.*"])
        await publish(self.env, [("performance.system", sample), (f"performance.py_types_{tag}", custom),
                                 ("alert.cpu", alert(tag, "cpu", "warning")), ("alert.cpu", resolved), ("status.py_marker", marker(tag))])
        await seen.wait_for(lambda m: m["type"] == "status" and m["data"].get("marker") == tag, what="the marker status")
        await client.request_data(["cpu_percent"], 5)
        with self.assertRaises(QbtMonitorError):
            await client.resolve_alert(f"no-such-alert-{tag}")  # an error reply
        await client.ping()

        checked: Dict[str, int] = {}
        for message in seen.messages:
            message_type = message["type"]
            expected = getattr(messages, f"{message_type.capitalize()}MessageData", None)
            if expected is None:
                continue  # the client's own events, and pong (no data)
            problems = mismatches(message["data"], expected) + mismatches(message.get("meta", {}), messages.MetaSchema, "meta")
            self.assertFalse(problems, f"{message}: {problems}")
            checked[message_type] = checked.get(message_type, 0) + 1
        for message_type in ("connection", "performance", "alert", "status", "subscribed", "data", "error"):
            self.assertIn(message_type, checked, "each kind was seen and checked")

    def test_the_checker_finds_what_does_not_fit(self) -> None:
        good = {"alert_id": "a", "type": "cpu", "level": "warning", "status": "resolved", "resolved_at": "2024-01-01T00:00:00Z",
                "resolution": "", "resolved_by": "k", "extra": "open schemas allow it"}
        self.assertEqual(mismatches(good, messages.AlertMessageData), [])
        self.assertNotEqual(mismatches({**good, "level": "fatal"}, messages.AlertMessageData), [], "a level outside the Literal")
        self.assertNotEqual(mismatches({k: v for k, v in good.items() if k != "resolved_by"}, messages.AlertResolvedData), [], "a missing field")
        self.assertNotEqual(mismatches({"history_minutes": 5, "unknown_metrics": [], "metrics": {"x": {"current": "1", "samples": []}}},
                                       messages.DataMessageData), [], "a string where a number or null goes")
        self.assertNotEqual(mismatches({"seq": True}, messages.MetaSchema), [], "a boolean is not an integer")

    async def test_close_leaves_no_tasks(self) -> None:
        before = other_tasks()
        client = self.Client(self.env.ws_url, self.env.read_key, ping_interval=0.2, request_timeout=5.0)
        seen = Collector()
        client.on("*", seen)
        await client.connect()
        await client.subscribe(["status.py_marker"])
        await publish(self.env, [("status.py_marker", marker(self.tag))])
        await seen.wait_for(lambda m: m["type"] == "status" and m["data"].get("marker") == self.tag)
        self.assertGreater(len(other_tasks() - before), 0, "it runs tasks while connected")
        await client.close()
        self.assertEqual(client.state, self.State.CLOSED)
        self.assertEqual(other_tasks() - before, set(), "no task left behind")
        await client.close()  # twice is fine
        with self.assertRaises(ClientClosedError):
            await client.subscribe(["alert.cpu"])


if __name__ == "__main__":
    unittest.main()
