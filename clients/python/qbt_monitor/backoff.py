"""Reconnect delays: capped exponential backoff with full jitter."""
from __future__ import annotations

import random
from typing import Callable

#: Past this many attempts the exponential is over any sane cap: use the cap (and avoid float overflow).
_MAX_EXPONENT = 63


def backoff_delay(
    attempt: int,
    initial: float,
    maximum: float,
    rng: Callable[[], float] = random.random,
) -> float:
    """The delay in seconds before reconnect attempt ``attempt`` (0 for the first retry).

    Full jitter: a uniform draw in ``[0, min(maximum, initial * 2**attempt))``, so that many clients
    dropped at once do not come back in step. ``rng`` returns a float in ``[0, 1)`` (``random.random``).
    """
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, not {attempt}")
    if initial < 0 or maximum < 0:
        raise ValueError("initial and maximum must be >= 0")
    ceiling = maximum if attempt > _MAX_EXPONENT else min(maximum, initial * (2.0**attempt))
    draw = rng()
    if not 0.0 <= draw <= 1.0:
        raise ValueError(f"rng() must return a float in [0, 1], not {draw!r}")
    return draw * ceiling
