"""The client's port of src/hub/subscriptions.ts (pure): narrowing, patterns, filters, restore plans."""
import unittest
from typing import Any, Dict, List, Tuple

import qbtm_testing  # noqa: F401  (puts the package on sys.path)
from qbt_monitor.subscriptions import ParsedPattern, SubscriptionError, Subscriptions, event_subtype, parse_pattern


def parsed(raw: str) -> ParsedPattern:
    pattern = parse_pattern(raw)
    assert pattern is not None, raw
    return pattern


def alert(kind: str, level: str = "warning", **extra: Any) -> Dict[str, Any]:
    return {"type": "alert", "data": {"alert_id": f"{kind}-{level}", "type": kind, "level": level, "status": "active", **extra}}


def status(component: str, state: str = "running") -> Dict[str, Any]:
    return {"type": "status", "data": {"component": component, "status": state}}


PERF: Dict[str, Any] = {"type": "performance", "data": {"cpu_percent": 5.0}}
CUSTOM: Dict[str, Any] = {"type": "performance", "data": {"metric_name": "api_response_time", "value": 150, "tags": {"endpoint": "/api/v1/config", "method": "GET"}}}


class PatternTests(unittest.TestCase):
    def test_patterns(self) -> None:
        self.assertEqual(parsed("*").kind, "all")
        for raw in ("alert", "alert.*"):
            whole = parsed(raw)
            self.assertEqual((whole.kind, whole.type, whole.pattern), ("type", "alert", "alert.*"))
        exact = parsed("alert.cpu")
        self.assertEqual((exact.kind, exact.type, exact.subtype), ("exact", "alert", "cpu"))
        self.assertEqual(parsed("performance.api.latency-p99").subtype, "api.latency-p99")
        for bad in ("nonsense", "nonsense.thing", "alert.", "alert.-x", "", "alert.cpu!"):
            self.assertIsNone(parse_pattern(bad), bad)

    def test_subtype_is_read_from_the_data(self) -> None:
        self.assertEqual(event_subtype("alert", {"type": "cpu"}), "cpu")
        self.assertEqual(event_subtype("status", {"component": "clipboard_monitor"}), "clipboard_monitor")
        self.assertEqual(event_subtype("config", {"action": "updated"}), "updated")
        self.assertEqual(event_subtype("system", {"event": "service_restart"}), "service_restart")
        self.assertEqual(event_subtype("performance", {"cpu_percent": 1}), "system")
        self.assertEqual(event_subtype("performance", {"metric_name": "api_response_time"}), "api_response_time")
        self.assertIsNone(event_subtype("alert", {"level": "warning"}))

    def test_meta_event_names_the_event(self) -> None:
        subs = Subscriptions()
        subs.subscribe(["performance.disk_io"])
        named = {"type": "performance", "data": {"value": 1}, "meta": {"event": "performance.disk_io"}}
        self.assertTrue(subs.accepts_message(named), "meta.event beats the data's guess (performance.system)")
        self.assertFalse(subs.accepts_message({**named, "meta": {"event": "performance.system"}}))


class NarrowingTests(unittest.TestCase):
    def test_a_new_connection_receives_everything(self) -> None:
        subs = Subscriptions()
        self.assertTrue(all(subs.accepts_message(m) for m in (alert("cpu"), status("x"), PERF, CUSTOM)))
        self.assertEqual(subs.describe(), {"subscriptions": [], "unfiltered_types": ["performance", "alert", "status", "config", "system", "torrent"]})

    def test_subscribing_narrows_that_type_only(self) -> None:
        subs = Subscriptions()
        subs.subscribe(["alert.cpu"], {"level": ["warning", "critical"]})
        self.assertTrue(subs.accepts_message(alert("cpu", "warning")))
        self.assertTrue(subs.accepts_message(alert("cpu", "critical")))
        self.assertFalse(subs.accepts_message(alert("cpu", "info")), "filtered out by level")
        self.assertFalse(subs.accepts_message(alert("memory", "critical")), "the alert type is narrowed to alert.cpu")
        self.assertTrue(subs.accepts_message(PERF), "other types keep flowing")
        self.assertTrue(subs.accepts_message(status("x")))
        self.assertEqual(
            subs.describe(),
            {
                "subscriptions": [{"pattern": "alert.cpu", "filters": {"level": ["warning", "critical"]}}],
                "unfiltered_types": ["performance", "status", "config", "system", "torrent"],
            },
        )

    def test_the_source_documents_example(self) -> None:
        subs = Subscriptions()
        subs.subscribe(["alert.cpu", "alert.memory"])
        self.assertTrue(subs.accepts_message(alert("memory", "info")))
        self.assertFalse(subs.accepts_message(alert("disk")))

    def test_filters_scalars_dotted_paths_and_lists(self) -> None:
        subs = Subscriptions()
        subs.subscribe(["performance.api_response_time"], {"tags.endpoint": "/api/v1/config"})
        self.assertTrue(subs.accepts_message(CUSTOM))
        other = {"type": "performance", "data": {**CUSTOM["data"], "tags": {"endpoint": "/other"}}}
        self.assertFalse(subs.accepts_message(other))
        self.assertFalse(subs.accepts_message(PERF), "performance.system is not subscribed")
        subs = Subscriptions()
        subs.subscribe(["alert.*"], {"metadata.affected_processes": "qbittorrent"})
        self.assertTrue(subs.accepts_message(alert("cpu", metadata={"affected_processes": ["python", "qbittorrent"]})), "any list element")
        self.assertFalse(subs.accepts_message(alert("cpu", metadata={"affected_processes": ["python"]})))
        self.assertFalse(subs.accepts_message(alert("cpu")), "a missing field does not match")

    def test_filter_values_compare_like_javascript(self) -> None:
        subs = Subscriptions()
        subs.subscribe(["alert.*"], {"value": 1})
        self.assertTrue(subs.accepts_message(alert("cpu", value=1.0)), "1 == 1.0")
        self.assertFalse(subs.accepts_message(alert("cpu", value=True)), "true is not 1")
        self.assertFalse(subs.accepts_message(alert("cpu", value="1")), '"1" is not 1')
        subs = Subscriptions()
        subs.subscribe(["alert.*"], {"acknowledged": False})
        self.assertTrue(subs.accepts_message(alert("cpu", acknowledged=False)))
        self.assertFalse(subs.accepts_message(alert("cpu", acknowledged=0)), "0 is not false")

    def test_an_unreadable_subtype_gets_the_benefit_of_the_doubt(self) -> None:
        subs = Subscriptions()
        subs.subscribe(["alert.cpu"])
        self.assertTrue(subs.accepts_message({"type": "alert", "data": {"level": "warning"}}))

    def test_subscribing_again_replaces_the_patterns_filters(self) -> None:
        subs = Subscriptions()
        subs.subscribe(["alert.cpu"], {"level": "critical"})
        subs.subscribe(["alert.cpu"], {"level": "info"})
        self.assertEqual(subs.describe()["subscriptions"], [{"pattern": "alert.cpu", "filters": {"level": "info"}}])
        self.assertFalse(subs.accepts_message(alert("cpu", "critical")))

    def test_wildcards_expand_to_the_endpoints_types(self) -> None:
        subs = Subscriptions(["alert"])
        subs.subscribe(["*"], {"level": "critical"})
        self.assertEqual(subs.describe(), {"subscriptions": [{"pattern": "alert.*", "filters": {"level": "critical"}}], "unfiltered_types": []})
        with self.assertRaises(SubscriptionError):
            subs.subscribe(["performance"])

    def test_invalid_patterns_and_filters_change_nothing(self) -> None:
        subs = Subscriptions()
        with self.assertRaises(SubscriptionError):
            subs.subscribe(["alert.cpu", "nonsense"])
        with self.assertRaises(SubscriptionError):
            subs.subscribe(["alert.cpu"], {"bad key!": 1})
        self.assertTrue(subs.is_default)

    def test_unsubscribe_semantics(self) -> None:
        subs = Subscriptions()
        subs.unsubscribe(["alert.cpu"])
        self.assertTrue(subs.is_default, "an exact name that is not subscribed changes nothing")
        subs.unsubscribe(["status"])
        self.assertFalse(subs.accepts_message(status("x")), "a whole type stops even if never narrowed")
        subs.subscribe(["alert.cpu", "alert.memory"])
        subs.unsubscribe(["alert.cpu"])
        self.assertFalse(subs.accepts_message(alert("cpu")))
        self.assertTrue(subs.accepts_message(alert("memory")))
        subs.unsubscribe(["alert.memory"])
        self.assertFalse(subs.accepts_message(alert("memory")), "unsubscribe does not bring the default back")
        subs.subscribe(["alert.*"])
        self.assertTrue(subs.accepts_message(alert("disk")), "subscribing to <type>.* does")

    def test_from_description_rebuilds_a_reply(self) -> None:
        subs = Subscriptions()
        subs.subscribe(["alert.cpu"], {"level": ["critical"]})
        subs.unsubscribe(["config"])
        rebuilt = Subscriptions.from_description(**subs.describe())
        self.assertEqual(rebuilt.describe(), subs.describe())


class RestorePlanTests(unittest.TestCase):
    SAMPLES = [
        alert("cpu", "critical"),
        alert("cpu", "info"),
        alert("memory", "warning"),
        alert("disk", "critical"),
        status("clipboard_monitor"),
        status("qbittorrent_client"),
        {"type": "config", "data": {"action": "updated"}},
        {"type": "system", "data": {"event": "service_restart"}},
        PERF,
        CUSTOM,
    ]

    def replay(self, subs: Subscriptions) -> Subscriptions:
        fresh = Subscriptions(subs.allowed)
        for kind, patterns, filters in subs.restore_plan():
            if kind == "subscribe":
                fresh.subscribe(patterns, filters)
            else:
                fresh.unsubscribe(patterns)
        return fresh

    def test_more_patterns_than_one_request_takes_are_split(self) -> None:
        subs = Subscriptions()
        names = [f"status.component_{n}" for n in range(250)]
        subs.subscribe(names[:125], {"status": "running"})
        subs.subscribe(names[125:], {"status": "running"})
        plan = subs.restore_plan()
        self.assertEqual([(kind, len(patterns)) for kind, patterns, _filters in plan], [("subscribe", 100), ("subscribe", 100), ("subscribe", 50)])
        self.assertEqual([p for _kind, patterns, _filters in plan for p in patterns], names)
        self.assertEqual(self.replay(subs).describe(), subs.describe())

    def test_a_fresh_connection_replaying_the_plan_matches_the_same_events(self) -> None:
        subs = Subscriptions()
        subs.subscribe(["alert.cpu"], {"level": ["critical"]})
        subs.subscribe(["alert.memory", "status.clipboard_monitor"])
        subs.subscribe(["performance.api_response_time"], {"tags.method": "GET"})
        subs.unsubscribe(["config"])
        subs.subscribe(["system.*"], {"event": "service_restart"})
        restored = self.replay(subs)
        self.assertEqual([restored.accepts_message(m) for m in self.SAMPLES], [subs.accepts_message(m) for m in self.SAMPLES])
        def key(description: Dict[str, Any]) -> List[Tuple[str, str]]:
            return sorted((s["pattern"], repr(s["filters"])) for s in description["subscriptions"])

        self.assertEqual(key(restored.describe()), key(subs.describe()))
        self.assertEqual(sorted(restored.describe()["unfiltered_types"]), sorted(subs.describe()["unfiltered_types"]))

    def test_the_plan_groups_patterns_by_filters(self) -> None:
        subs = Subscriptions()
        subs.subscribe(["alert.cpu"], {"level": "critical"})
        subs.subscribe(["status.a", "status.b"])
        subs.subscribe(["alert.disk"], {"level": "critical"})
        subs.unsubscribe(["config.*"])
        self.assertEqual(
            subs.restore_plan(),
            [
                ("unsubscribe", ["config.*"], None),
                ("subscribe", ["alert.cpu", "alert.disk"], {"level": "critical"}),
                ("subscribe", ["status.a", "status.b"], {}),
            ],
        )
        self.assertEqual(Subscriptions().restore_plan(), [], "nothing to restore by default")


if __name__ == "__main__":
    unittest.main()
