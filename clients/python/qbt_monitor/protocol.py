"""Protocol constants mirrored from the server's ``src/protocol`` (message types, close codes and what to do after each)."""
from __future__ import annotations

from typing import Dict, FrozenSet, Literal, Tuple

#: Server message types that are events (routed by subscriptions).
EVENT_TYPES: Tuple[str, ...] = ("performance", "alert", "status", "config", "system")
#: Event types numbered with ``meta.seq`` and replayed on resumption (performance is conflated, not replayed).
DURABLE_EVENT_TYPES: FrozenSet[str] = frozenset({"alert", "status", "config", "system"})
#: Every type the server sends.
SERVER_MESSAGE_TYPES: Tuple[str, ...] = EVENT_TYPES + (
    "connection",
    "error",
    "pong",
    "subscribed",
    "unsubscribed",
    "data",
    "resumed",
    "ack",
)
#: Events the client itself emits to ``on()`` handlers (no server message has these types).
CLIENT_EVENT_TYPES: Tuple[str, ...] = ("reconnecting", "disconnected", "reconnected", "closed")

CloseAction = Literal["reconnect", "reconnect_after_retry", "reconnect_and_resume", "stop"]

NORMAL = 1000
GOING_AWAY = 1001
MESSAGE_TOO_BIG = 1009
TRY_AGAIN_LATER = 1013
BAD_REQUEST = 4400
AUTH_FAILED = 4401
ORIGIN_NOT_ALLOWED = 4403
SLOW_CONSUMER = 4408
RATE_LIMITED = 4429

#: What a client should do after each close code (the server's ``CLOSE_ACTIONS``).
CLOSE_ACTIONS: Dict[int, CloseAction] = {
    NORMAL: "stop",
    GOING_AWAY: "reconnect_and_resume",
    MESSAGE_TOO_BIG: "reconnect",
    TRY_AGAIN_LATER: "reconnect_after_retry",
    BAD_REQUEST: "stop",
    AUTH_FAILED: "stop",
    ORIGIN_NOT_ALLOWED: "stop",
    SLOW_CONSUMER: "reconnect_and_resume",
    RATE_LIMITED: "reconnect_after_retry",
}


def close_action(code: int) -> CloseAction:
    """What to do after a close with ``code``; unknown codes (network drops: 1006) mean reconnect and resume."""
    return CLOSE_ACTIONS.get(code, "reconnect_and_resume")
