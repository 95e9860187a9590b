/** The errors the SDK's promises reject with, each with a string `code` to switch on. */
import type { ErrorCode } from '../protocol/errors.js';

/** Failures the client detects itself (the server's own codes are ErrorCode). */
export const ClientErrorCode = {
  /** No reply within `requestTimeoutMs`. */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /** The connection dropped after the request was sent; it may or may not have been carried out. */
  CONNECTION_LOST: 'CONNECTION_LOST',
  /** The client is closed (by close(), a final close code, or giving up): nothing is sent. */
  CLOSED: 'CLOSED',
  /** The server answered with a message of another type than the request expects. */
  UNEXPECTED_REPLY: 'UNEXPECTED_REPLY',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export class QbtMonitorError extends Error {
  override name = 'QbtMonitorError';
  readonly code: ClientErrorCode | ErrorCode | (string & {});

  constructor(code: QbtMonitorError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** A request got no reply in time. */
export class RequestTimeoutError extends QbtMonitorError {
  override name = 'RequestTimeoutError';

  constructor(
    readonly request: string,
    readonly timeoutMs: number,
  ) {
    super(ClientErrorCode.REQUEST_TIMEOUT, `${request}: no reply within ${timeoutMs} ms`);
  }
}

/** The server answered with an `error` message, or refused the connection (then `closeCode` says how it closed). */
export class ServerError extends QbtMonitorError {
  override name = 'ServerError';

  constructor(
    code: ErrorCode | (string & {}),
    message: string,
    /** Milliseconds the server asked to wait before retrying. */
    readonly retryAfterMs?: number,
    readonly closeCode?: number,
  ) {
    super(code, message);
  }
}
