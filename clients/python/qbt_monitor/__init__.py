"""Python client of the qbt-monitor WebSocket API.

``QbtMonitorClient`` needs the ``websockets`` package; the pure parts (``backoff_delay``, the
subscription matcher, the protocol tables, the errors) import without it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .backoff import backoff_delay
from .errors import (
    AuthenticationError,
    ClientClosedError,
    ConnectionFailedError,
    DisconnectedError,
    QbtMonitorError,
    RequestTimeoutError,
)
from .protocol import CLOSE_ACTIONS, DURABLE_EVENT_TYPES, EVENT_TYPES, close_action
from .subscriptions import SubscriptionError, Subscriptions, event_subtype, parse_pattern

if TYPE_CHECKING:
    from .client import CloseInfo, ConnectionState, Handler, Message, QbtMonitorClient

__version__ = "0.1.0"

__all__ = [
    "QbtMonitorClient",
    "ConnectionState",
    "CloseInfo",
    "Handler",
    "Message",
    "QbtMonitorError",
    "RequestTimeoutError",
    "AuthenticationError",
    "DisconnectedError",
    "ClientClosedError",
    "ConnectionFailedError",
    "backoff_delay",
    "Subscriptions",
    "SubscriptionError",
    "event_subtype",
    "parse_pattern",
    "CLOSE_ACTIONS",
    "close_action",
    "EVENT_TYPES",
    "DURABLE_EVENT_TYPES",
]

_CLIENT_NAMES = {"QbtMonitorClient", "ConnectionState", "CloseInfo", "Handler", "Message"}


def __getattr__(name: str) -> Any:
    # The client imports websockets: load it on first use, so the pure modules work without it.
    if name in _CLIENT_NAMES:
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module 'qbt_monitor' has no attribute {name!r}")
