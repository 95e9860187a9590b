"""Python client of the qbt-monitor WebSocket API.

``QbtMonitorClient`` needs the ``websockets`` package; the pure parts (``backoff_delay``, the
subscription matcher, the protocol tables, the errors, the states, the torrent table and REST calls)
import without it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .backoff import backoff_delay
from .dispatch import CLIENT_EVENT_TYPES, Handler
from .errors import (
    AuthenticationError,
    ClientClosedError,
    ConnectionFailedError,
    DisconnectedError,
    Message,
    QbtMonitorError,
    RequestTimeoutError,
)
from .protocol import (
    CLOSE_ACTIONS,
    DURABLE_EVENT_TYPES,
    EVENT_TYPES,
    TORRENT_STATE_GROUPS,
    ClientErrorCode,
    CloseCode,
    ErrorCode,
    EventName,
    TorrentStateGroup,
    close_action,
    torrent_state_group,
)
from .state import ClientState, CloseCause, ConnectionState, Phase
from .subscriptions import SubscriptionError, Subscriptions, event_subtype, parse_pattern
from .torrents import TorrentRow, TorrentTable, TorrentTableChange
from .torrents_api import AddResult, HttpError, TorrentPage, TorrentsApi

if TYPE_CHECKING:
    from .client import QbtMonitorClient
    from .connection import CloseInfo

__version__ = "0.1.0"

__all__ = [
    "QbtMonitorClient",
    "ClientState",
    "ConnectionState",
    "Phase",
    "CloseCause",
    "CloseInfo",
    "Handler",
    "Message",
    "CLIENT_EVENT_TYPES",
    "QbtMonitorError",
    "RequestTimeoutError",
    "AuthenticationError",
    "DisconnectedError",
    "ClientClosedError",
    "ConnectionFailedError",
    "ClientErrorCode",
    "ErrorCode",
    "CloseCode",
    "EventName",
    "backoff_delay",
    "Subscriptions",
    "SubscriptionError",
    "event_subtype",
    "parse_pattern",
    "CLOSE_ACTIONS",
    "close_action",
    "EVENT_TYPES",
    "DURABLE_EVENT_TYPES",
    "TorrentTable",
    "TorrentTableChange",
    "TorrentRow",
    "TORRENT_STATE_GROUPS",
    "TorrentStateGroup",
    "torrent_state_group",
    "TorrentsApi",
    "TorrentPage",
    "AddResult",
    "HttpError",
]

_NEEDS_WEBSOCKETS = {"QbtMonitorClient": "client", "CloseInfo": "connection"}


def __getattr__(name: str) -> Any:
    # The client imports websockets: load it on first use, so the pure modules work without it.
    module_name = _NEEDS_WEBSOCKETS.get(name)
    if module_name is not None:
        from importlib import import_module

        return getattr(import_module(f".{module_name}", __name__), name)
    raise AttributeError(f"module 'qbt_monitor' has no attribute {name!r}")
