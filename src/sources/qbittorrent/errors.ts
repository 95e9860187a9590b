/** The one error type of the qBittorrent source, with a `code` (the protocol's: a status's `error_code`) that says what went wrong. */
import type { QbittorrentErrorCode } from '../../protocol/index.js';

export interface QbittorrentErrorDetails {
  /** The API path called, e.g. `/api/v2/auth/login`. */
  endpoint?: string;
  /** The HTTP status, when qBittorrent answered. */
  status?: number;
  /** A short machine-readable reason: `ECONNREFUSED`, `timeout`, `invalid_credentials`, `banned`, ... */
  reason?: string;
  cause?: unknown;
}

export class QbittorrentError extends Error {
  override readonly name = 'QbittorrentError';
  readonly code: QbittorrentErrorCode;
  readonly endpoint: string | undefined;
  readonly status: number | undefined;
  readonly reason: string | undefined;

  constructor(code: QbittorrentErrorCode, message: string, details: QbittorrentErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.endpoint = details.endpoint;
    this.status = details.status;
    this.reason = details.reason;
  }
}

export function isQbittorrentError(error: unknown, code?: QbittorrentErrorCode): error is QbittorrentError {
  return error instanceof QbittorrentError && (code === undefined || error.code === code);
}

/**
 * Whether qBittorrent could not take a request now (not running, unreachable, not configured,
 * credentials refused, a server error), rather than refusing the request itself: a request worth
 * keeping and sending again once it is back.
 */
export function isTemporary(error: unknown): boolean {
  if (!isQbittorrentError(error)) return false;
  switch (error.code) {
    case 'UNREACHABLE':
    case 'CLOSED':
    case 'NOT_CONFIGURED':
    case 'AUTH_FAILED':
      return true;
    case 'HTTP_ERROR':
      return (error.status ?? 0) >= 500;
    default:
      return false;
  }
}
