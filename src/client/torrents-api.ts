/**
 * The torrents over the service's REST API, for clients that show the table and act on it: list
 * (filtered, sorted, paged), add links, and the row actions an admin key may take (stop/start,
 * recheck, delete with or without the files). The same key as the WebSocket; fetch from the runtime.
 */
import type { ErrorCode } from '../protocol/errors.js';
import type { TorrentField, TorrentRow } from '../protocol/torrents.js';
import type { TorrentStateGroup } from '../protocol/torrent-groups.js';
import { QbtMonitorError } from './errors.js';

export interface TorrentsApiOptions {
  /** The service: its WebSocket endpoint (`ws://host:8080/ws`) or its HTTP address (`http://host:8080`). */
  url: string;
  apiKey: string;
  /** Default: the runtime's fetch. */
  fetch?: typeof fetch;
}

export interface TorrentQuery {
  /** qBittorrent state names or groups (`stopped` finds `pausedDL` and `stoppedDL`). */
  state?: ReadonlyArray<TorrentStateGroup | (string & {})>;
  category?: string;
  tag?: string;
  /** Part of the name, any case. */
  search?: string;
  sort?: TorrentField;
  reverse?: boolean;
  limit?: number;
  offset?: number;
}

export interface TorrentPage {
  /** Every torrent the query matches, beyond this page too. */
  total: number;
  offset: number;
  torrents: TorrentRow[];
}

export interface AddResult {
  added: Array<{ kind: string; info_hash: string | null; name: string | null }>;
  duplicates: Array<{ kind: string; info_hash: string | null; name: string | null }>;
  failed: Array<{ kind: string; info_hash: string | null; name: string | null; reason: string }>;
}

/** The service refused a REST call: `code` is the protocol's error code, `status` the HTTP status. */
export class HttpError extends QbtMonitorError {
  override name = 'HttpError';

  constructor(
    code: ErrorCode | (string & {}),
    message: string,
    readonly status: number,
  ) {
    super(code, message);
  }
}

export class TorrentsApi {
  readonly #base: string;
  readonly #apiKey: string;
  readonly #fetch: typeof fetch;

  constructor(options: TorrentsApiOptions) {
    const url = new URL(options.url);
    // The WebSocket endpoint's address, less its /ws... path, is the HTTP one (a reverse proxy's prefix kept).
    const protocol = { 'ws:': 'http:', 'wss:': 'https:' }[url.protocol] ?? url.protocol;
    const prefix = url.protocol.startsWith('ws') ? url.pathname.replace(/\/ws(\/[a-z]+)?\/?$/, '') : url.pathname.replace(/\/$/, '');
    this.#base = `${protocol}//${url.host}${prefix}/api/v1/torrents`;
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  list(query: TorrentQuery = {}): Promise<TorrentPage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) params.set(key, Array.isArray(value) ? value.join(',') : String(value));
    }
    const search = params.toString();
    return this.#call('GET', search ? `?${search}` : '');
  }

  /** Adds magnet links or `.torrent` URLs (admin key), as the clipboard would. */
  add(urls: readonly string[]): Promise<AddResult> {
    return this.#call('POST', '', { urls });
  }

  /** Stops a torrent (admin key): qBittorrent 5's stop, an earlier one's pause. */
  stop(hash: string): Promise<void> {
    return this.#act(hash, 'stop');
  }

  /** Starts a torrent (admin key): qBittorrent 5's start, an earlier one's resume. */
  start(hash: string): Promise<void> {
    return this.#act(hash, 'start');
  }

  recheck(hash: string): Promise<void> {
    return this.#act(hash, 'recheck');
  }

  /** Removes a torrent from qBittorrent (admin key), its downloaded data too with `deleteFiles`. */
  async delete(hash: string, options: { deleteFiles?: boolean } = {}): Promise<void> {
    await this.#call('DELETE', `/${encodeURIComponent(hash)}?delete_files=${options.deleteFiles === true}`);
  }

  async #act(hash: string, action: string): Promise<void> {
    await this.#call('POST', `/${encodeURIComponent(hash)}/${action}`);
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#fetch(`${this.#base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.#apiKey}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
    if (!response.ok) {
      throw new HttpError(answer?.error?.code ?? 'UNAVAILABLE', answer?.error?.message ?? `HTTP ${response.status}`, response.status);
    }
    return answer as T;
  }
}
