"""backoff_delay: capped exponential backoff with full jitter (pure)."""
import random
import unittest

import qbtm_testing  # noqa: F401  (puts the package on sys.path)
from qbt_monitor.backoff import backoff_delay
from qbt_monitor.protocol import close_action


class BackoffDelayTests(unittest.TestCase):
    def test_ceiling_doubles_from_initial(self) -> None:
        top = lambda: 1.0  # noqa: E731  (the draw at the top of the range shows the ceiling)
        self.assertEqual([backoff_delay(n, 0.5, 100.0, top) for n in range(5)], [0.5, 1.0, 2.0, 4.0, 8.0])

    def test_ceiling_is_capped_at_maximum(self) -> None:
        self.assertEqual(backoff_delay(10, 0.5, 30.0, lambda: 1.0), 30.0)
        self.assertEqual(backoff_delay(10_000, 0.5, 30.0, lambda: 1.0), 30.0, "no overflow on huge attempts")

    def test_full_jitter_scales_the_draw(self) -> None:
        self.assertEqual(backoff_delay(3, 1.0, 60.0, lambda: 0.0), 0.0)
        self.assertEqual(backoff_delay(3, 1.0, 60.0, lambda: 0.25), 2.0)

    def test_draws_stay_within_zero_and_the_ceiling_and_spread(self) -> None:
        rng = random.Random(1234)
        for attempt in range(12):
            ceiling = min(10.0, 0.1 * 2**attempt)
            draws = [backoff_delay(attempt, 0.1, 10.0, rng.random) for _ in range(200)]
            self.assertTrue(all(0.0 <= d <= ceiling for d in draws), attempt)
            self.assertGreater(max(draws) - min(draws), ceiling / 2, "full jitter spreads over the range")

    def test_rejects_bad_arguments(self) -> None:
        with self.assertRaises(ValueError):
            backoff_delay(-1, 1.0, 2.0)
        with self.assertRaises(ValueError):
            backoff_delay(0, -1.0, 2.0)
        with self.assertRaises(ValueError):
            backoff_delay(0, 1.0, 2.0, lambda: 1.5)


class CloseActionTests(unittest.TestCase):
    def test_close_codes_map_to_the_servers_actions(self) -> None:
        self.assertEqual(close_action(4401), "stop")
        self.assertEqual(close_action(4400), "stop")
        self.assertEqual(close_action(4403), "stop")
        self.assertEqual(close_action(1000), "stop")
        self.assertEqual(close_action(1013), "reconnect_after_retry")
        self.assertEqual(close_action(4429), "reconnect_after_retry")
        self.assertEqual(close_action(1001), "reconnect_and_resume")
        self.assertEqual(close_action(4408), "reconnect_and_resume")
        self.assertEqual(close_action(1009), "reconnect")
        self.assertEqual(close_action(1006), "reconnect_and_resume", "network drops: reconnect and resume")


if __name__ == "__main__":
    unittest.main()
