/** The one error type of the qBittorrent source, with a `code` that says what went wrong and what to do about it. */

export type QbittorrentErrorCode =
  /** No `qbittorrent.url` configured. */
  | 'NOT_CONFIGURED'
  /** Nothing answered: connection refused, reset, DNS failure, or no reply before the timeout. */
  | 'UNREACHABLE'
  /** qBittorrent refused the credentials, the API key or the session, or banned this address. */
  | 'AUTH_FAILED'
  /** Any other HTTP status outside 2xx. */
  | 'HTTP_ERROR'
  /** qBittorrent answered but did not add the torrents ("Fails.", or a non-zero failure count). */
  | 'REJECTED'
  /** A 2xx answer that is not what the API documents (e.g. a torrent list that is not JSON). */
  | 'BAD_RESPONSE'
  /** The client was closed (monitor stopped or reconfigured) while the call was pending. */
  | 'CLOSED';

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
