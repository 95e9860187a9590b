"""Exceptions raised by the client. Every one is a :class:`QbtMonitorError` carrying a ``code``."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional

Message = Dict[str, Any]


class QbtMonitorError(Exception):
    """An error reply, a refused connection, or a client-side failure.

    ``code`` is the server's ``ErrorCode`` (``UNAVAILABLE``, ``INVALID_SUBSCRIPTION``, ``AUTH_FAILED``...)
    or one of the client's own (``TIMEOUT``, ``DISCONNECTED``, ``CLIENT_CLOSED``, ``CONNECTION_FAILED``,
    ``HANDSHAKE_REJECTED``).
    """

    def __init__(
        self,
        code: str,
        message: str = "",
        *,
        retry_after: Optional[int] = None,
        close_code: Optional[int] = None,
        reply: Optional[Message] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        #: Milliseconds the server asked to wait before retrying, when it said so.
        self.retry_after = retry_after
        #: The WebSocket close code that ended the connection, when one did.
        self.close_code = close_code
        #: The server's ``error`` (or ``connection`` error) message, when there was one.
        self.reply = reply

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}" if self.message else self.code
        if self.close_code is not None:
            text += f" (close code {self.close_code})"
        return text

    @classmethod
    def from_reply(cls, reply: Message) -> "QbtMonitorError":
        """Builds the error of an ``error`` message (``data.code``) or a ``connection`` error (``data.error_code``)."""
        data = reply.get("data") if isinstance(reply.get("data"), dict) else {}
        code = str(data.get("code") or data.get("error_code") or "UNKNOWN")
        retry_after = data.get("retry_after")
        return cls(
            code,
            str(data.get("message", "")),
            retry_after=retry_after if isinstance(retry_after, int) and not isinstance(retry_after, bool) else None,
            reply=reply,
        )


class RequestTimeoutError(QbtMonitorError, asyncio.TimeoutError):
    """No reply within the timeout. Also an :class:`asyncio.TimeoutError` (``TimeoutError``)."""


class AuthenticationError(QbtMonitorError):
    """The key was refused (close code 4401): final, the client does not retry with the same key."""


class DisconnectedError(QbtMonitorError):
    """The connection was lost before the reply came (the client reconnects on its own)."""


class ClientClosedError(QbtMonitorError):
    """The client was closed (``close()``) or has stopped for good."""


class ConnectionFailedError(QbtMonitorError):
    """The client could not connect: attempts exhausted, or a close code that means "stop"."""
