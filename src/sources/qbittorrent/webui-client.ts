/** A small client of qBittorrent's WebUI API v2 (4.1 to 5.x): session or API-key auth, typed errors, a hook after every call. */
import { DEFAULT_CONFIG } from '../../config/defaults.js';
import { QbittorrentError } from './errors.js';
import { type Maindata, parseMaindata } from './maindata.js';

export type HttpMethod = 'GET' | 'POST';

/** What the `onCall` hook learns after every HTTP call (the service turns it into `api_response_time`). */
export interface WebUiCall {
  /** The API path, e.g. `/api/v2/torrents/add`. */
  endpoint: string;
  method: HttpMethod;
  durationMs: number;
  /** The call did what it was for: a 2xx answer that means success. */
  ok: boolean;
}

export interface WebUiClientOptions {
  /** The WebUI address, e.g. `http://127.0.0.1:8080`; a path prefix (reverse proxy) is kept. */
  url: string;
  username?: string;
  password?: string;
  /** qBittorrent 5.2+ API key, sent as a bearer token instead of logging in. Takes precedence over username/password. */
  apiKey?: string;
  /** Per HTTP call, body included. Default: `qbittorrent.timeout`'s. */
  timeoutMs?: number;
  /** Called after every HTTP call, failed ones included. */
  onCall?: (call: WebUiCall) => void;
  /** Replaces the global fetch (tests use it to watch the traffic). */
  fetch?: typeof fetch;
}

export interface AddTorrentsOptions {
  category?: string;
  savePath?: string;
  tags?: readonly string[];
  /** Added paused (`paused` up to 4.6, `stopped` from 5.0; each version ignores the other's field). */
  paused?: boolean;
}

/** A .torrent file's content, uploaded as `torrents` in a multipart form. */
export interface TorrentFileUpload {
  fileName: string;
  bytes: Uint8Array<ArrayBuffer>;
}

export interface TorrentFilter {
  hashes?: readonly string[];
  category?: string;
}

/** One entry of `torrents/info`: the fields this service reads, and whatever else the version sends. */
export interface TorrentInfo {
  readonly hash: string;
  readonly name: string;
  readonly state: string;
  readonly category: string;
  readonly save_path: string;
  readonly progress: number;
  readonly size: number;
  readonly added_on: number;
  readonly [field: string]: unknown;
}

/** Form fields: URL-encoded, or multipart when a file goes with them. */
type Params = Record<string, string> | FormData;

interface Reply {
  status: number;
  body: string;
  setCookies: string[];
}

export class QbittorrentWebUiClient {
  /** The WebUI base address, always ending in `/`. */
  readonly url: URL;
  readonly #credentials: { username: string; password: string } | undefined;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #onCall: ((call: WebUiCall) => void) | undefined;
  readonly #fetch: typeof fetch;
  readonly #closed = new AbortController();
  /** `name=value` of the session cookie; '' when qBittorrent lets this address in without one; undefined before login. */
  #sessionCookie: string | undefined;
  #pendingLogin: Promise<void> | undefined;

  constructor(options: WebUiClientOptions) {
    // The trailing slash makes `api/v2/...` resolve under a reverse proxy's path prefix instead of replacing it.
    this.url = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') {
      throw new TypeError(`qBittorrent WebUI url must be http(s): ${options.url}`);
    }
    this.#apiKey = options.apiKey || undefined;
    this.#credentials = options.username ? { username: options.username, password: options.password ?? '' } : undefined;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_CONFIG.qbittorrent.timeout * 1000;
    this.#onCall = options.onCall;
    this.#fetch = options.fetch ?? fetch;
  }

  /**
   * Starts a new session with the username and password. With an API key, or with no credentials
   * (qBittorrent set to let this address in without auth), there is no session to start and it
   * resolves at once: qBittorrent refuses its auth endpoints to API keys. Concurrent calls share one login.
   */
  login(): Promise<void> {
    const credentials = this.#usesSession() ? this.#credentials : undefined;
    if (!credentials) return Promise.resolve();
    this.#pendingLogin ??= this.#logIn(credentials).finally(() => {
      this.#pendingLogin = undefined;
    });
    return this.#pendingLogin;
  }

  /** The application version, e.g. `v4.5.2`. */
  version(): Promise<string> {
    return this.#call('GET', 'app/version', {}, (body) => body.trim());
  }

  /** The WebUI API version, e.g. `2.8.19`. */
  webApiVersion(): Promise<string> {
    return this.#call('GET', 'app/webapiVersion', {}, (body) => body.trim());
  }

  /** Adds magnet links or torrent URLs; rejects with `REJECTED` when qBittorrent refuses any of them (a duplicate, say). */
  async addTorrents(urls: readonly string[], options: AddTorrentsOptions = {}): Promise<void> {
    if (urls.length === 0) return;
    const form: Record<string, string> = { urls: urls.join('\n'), ...addFields(options) };
    await this.#call('POST', 'torrents/add', form, (body) => checkAddResult(body, urls.length));
  }

  /** Uploads a .torrent file (multipart, like the WebUI's own upload); rejects like addTorrents. */
  async addTorrentFile(file: TorrentFileUpload, options: AddTorrentsOptions = {}): Promise<void> {
    const form = new FormData();
    form.append('torrents', new Blob([file.bytes], { type: 'application/x-bittorrent' }), file.fileName);
    for (const [field, value] of Object.entries(addFields(options))) form.append(field, value);
    await this.#call('POST', 'torrents/add', form, (body) => checkAddResult(body, 1));
  }

  listTorrents({ hashes, category }: TorrentFilter = {}): Promise<TorrentInfo[]> {
    const query: Record<string, string> = {};
    if (hashes !== undefined) query.hashes = hashes.join('|');
    if (category !== undefined) query.category = category;
    return this.#call('GET', 'torrents/info', query, parseTorrentList);
  }

  /** The changes since the answer `rid` acknowledges (0: everything), from `sync/maindata`. */
  maindata(rid: number): Promise<Maindata> {
    return this.#call('GET', 'sync/maindata', { rid: String(rid) }, parseMaindata);
  }

  /**
   * Calls one of the `torrents/<action>` endpoints that take `hashes` (`stop`, `start`, `pause`,
   * `resume`, `recheck`, `delete`), with any extra form fields.
   */
  async torrentsAction(action: string, hashes: readonly string[], extra: Record<string, string> = {}): Promise<void> {
    await this.#call('POST', `torrents/${action}`, { hashes: hashes.join('|'), ...extra }, () => undefined);
  }

  /** Aborts every call in flight; later calls reject with `CLOSED`. */
  close(): void {
    this.#closed.abort();
  }

  #usesSession(): boolean {
    return this.#apiKey === undefined && this.#credentials !== undefined;
  }

  async #logIn({ username, password }: { username: string; password: string }): Promise<void> {
    this.#sessionCookie = undefined; // the login request must not carry the old session's cookie
    this.#sessionCookie = await this.#exchange('POST', 'auth/login', { username, password }, (reply) => {
      const endpoint = '/api/v2/auth/login';
      if (reply.status === 403) {
        throw new QbittorrentError('AUTH_FAILED', 'qBittorrent has banned this address after too many failed logins', {
          endpoint,
          status: 403,
          reason: 'banned',
        });
      }
      // Up to 5.1 a wrong password is 200 "Fails." (401 there means a CSRF or Host header refusal); 5.2 answers 401, and 204 on success.
      if (reply.status === 401 || (reply.status === 200 && reply.body.trim() !== 'Ok.')) {
        const hint = reply.status === 401 ? ' (HTTP 401; before 5.2 this means its CSRF or Host header check refused the request)' : '';
        throw new QbittorrentError('AUTH_FAILED', `qBittorrent refused the username or password${hint}`, {
          endpoint,
          status: reply.status,
          reason: 'invalid_credentials',
        });
      }
      this.#expectSuccess(reply, endpoint);
      return sessionCookie(reply.setCookies);
    });
  }

  /** A call that needs to be logged in: logs in first if needed, and once more if the session turns out to be gone. */
  async #call<T>(method: HttpMethod, endpoint: string, params: Params, parse: (body: string) => T): Promise<T> {
    const path = `/api/v2/${endpoint}`;
    const read = (reply: Reply): T => {
      this.#expectSuccess(reply, path);
      return parse(reply.body);
    };
    if (this.#usesSession() && this.#sessionCookie === undefined) await this.login();
    const cookieUsed = this.#sessionCookie;
    try {
      return await this.#exchange(method, endpoint, params, read);
    } catch (error) {
      if (!this.#usesSession() || !(error instanceof QbittorrentError) || error.status !== 403) throw error;
    }
    // 403: the session expired, was logged out, or qBittorrent restarted. Log in again (unless a concurrent call already has) and retry once.
    if (this.#sessionCookie === cookieUsed) this.#sessionCookie = undefined;
    if (this.#sessionCookie === undefined) await this.login();
    return this.#exchange(method, endpoint, params, read);
  }

  /** One HTTP call: sends, reads the whole body, lets `read` judge it, reports to the hook. Rejects only with QbittorrentError. */
  async #exchange<T>(method: HttpMethod, endpoint: string, params: Params, read: (reply: Reply) => T): Promise<T> {
    const path = `/api/v2/${endpoint}`;
    if (this.#closed.signal.aborted) throw this.#closedError(path);
    const target = new URL(`api/v2/${endpoint}`, this.url);
    const form = params instanceof FormData ? params : new URLSearchParams(params);
    if (method === 'GET') target.search = form.toString();
    const deadline = callSignal(this.#closed.signal, this.#timeoutMs);
    const started = performance.now();
    let ok = false;
    try {
      const body = method === 'POST' ? form : undefined;
      const response = await this.#fetch(target, { method, headers: this.#headers(), body, signal: deadline.signal });
      const reply: Reply = { status: response.status, body: await response.text(), setCookies: response.headers.getSetCookie() };
      const result = read(reply);
      ok = true;
      return result;
    } catch (error) {
      if (error instanceof QbittorrentError) throw error;
      throw this.#closed.signal.aborted ? this.#closedError(path) : this.#transportError(error, path, deadline.timedOut());
    } finally {
      deadline.dispose();
      this.#report({ endpoint: path, method, durationMs: performance.now() - started, ok });
    }
  }

  #headers(): Record<string, string> {
    // qBittorrent's CSRF protection refuses (401) a Referer or Origin that names another host than the Host header.
    const headers: Record<string, string> = { Referer: this.url.origin };
    if (this.#apiKey !== undefined) headers.Authorization = `Bearer ${this.#apiKey}`;
    else if (this.#sessionCookie) headers.Cookie = this.#sessionCookie;
    return headers;
  }

  #expectSuccess(reply: Reply, endpoint: string): void {
    const { status } = reply;
    if (status >= 200 && status < 300) return;
    if (status === 401 || status === 403) {
      throw new QbittorrentError('AUTH_FAILED', `qBittorrent refused the request (HTTP ${status}): ${this.#refusalHint(status)}`, {
        endpoint,
        status,
        reason: this.#apiKey !== undefined ? 'api_key_rejected' : this.#credentials ? 'session_rejected' : 'credentials_required',
      });
    }
    throw new QbittorrentError('HTTP_ERROR', `qBittorrent answered HTTP ${status} to ${endpoint}: ${reply.body.slice(0, 200).trim()}`, {
      endpoint,
      status,
    });
  }

  #refusalHint(status: number): string {
    if (this.#apiKey !== undefined) return 'the API key is wrong or was rotated';
    if (!this.#credentials) return 'it requires a login and no username is configured';
    return status === 401 ? 'its CSRF or Host header checks rejected it' : 'the session was refused right after logging in';
  }

  #transportError(error: unknown, endpoint: string, timedOut: boolean): QbittorrentError {
    if (timedOut) {
      return new QbittorrentError('UNREACHABLE', `qBittorrent at ${this.url.origin} did not answer within ${this.#timeoutMs} ms`, {
        endpoint,
        reason: 'timeout',
        cause: error,
      });
    }
    const reason = systemErrorCode(error);
    return new QbittorrentError('UNREACHABLE', `cannot reach qBittorrent at ${this.url.origin}: ${reason}`, {
      endpoint,
      reason,
      cause: error,
    });
  }

  #closedError(endpoint: string): QbittorrentError {
    return new QbittorrentError('CLOSED', 'the qBittorrent client was closed', { endpoint });
  }

  #report(call: WebUiCall): void {
    try {
      this.#onCall?.(call);
    } catch {
      // A metrics hook must never turn a good call into a failed one.
    }
  }
}

/** The abort signal of one call: fires at the deadline, or when the client is closed. dispose() once the call is over. */
function callSignal(closed: AbortSignal, timeoutMs: number) {
  // A timer and a listener of our own rather than AbortSignal.any([closed, AbortSignal.timeout(ms)]): on Node 20 the
  // timeout signal inside any() can be garbage-collected before it fires, and the call then never ends.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const abortOnClose = () => controller.abort();
  closed.addEventListener('abort', abortOnClose);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose() {
      clearTimeout(timer);
      closed.removeEventListener('abort', abortOnClose);
    },
  };
}

/**
 * The session cookie from a login answer, as `name=value`. The name is `SID` up to 5.1 (renameable
 * there), `QBT_SID_<WebUI port>` from 5.2, and the port is qBittorrent's own, not necessarily the one
 * dialled behind a proxy: so take the cookie qBittorrent set, whatever its name.
 */
function sessionCookie(setCookies: readonly string[]): string {
  const pairs = setCookies.map((header) => header.split(';', 1)[0]?.trim() ?? '');
  return pairs.find((pair) => /^[^=]+=.+/.test(pair)) ?? '';
}

function addFields({ category, savePath, tags, paused }: AddTorrentsOptions): Record<string, string> {
  const fields: Record<string, string> = {};
  if (category !== undefined) fields.category = category;
  if (savePath !== undefined) fields.savepath = savePath;
  if (tags !== undefined && tags.length > 0) fields.tags = tags.join(',');
  if (paused) Object.assign(fields, { paused: 'true', stopped: 'true' });
  return fields;
}

/** `torrents/add` answers "Ok." / "Fails." up to 5.1, and JSON counts from WebAPI 2.14 (5.2). */
function checkAddResult(body: string, requested: number): void {
  const endpoint = '/api/v2/torrents/add';
  const text = body.trim();
  if (text === 'Ok.' || text === '') return;
  if (text === 'Fails.') {
    throw new QbittorrentError('REJECTED', 'qBittorrent did not add the torrent: a duplicate, or not a valid magnet link or URL', {
      endpoint,
      reason: 'fails',
    });
  }
  const counts = parseJson(text, endpoint) as { failure_count?: unknown } | null;
  if (typeof counts?.failure_count !== 'number') {
    throw new QbittorrentError('BAD_RESPONSE', `unexpected torrents/add answer: ${text.slice(0, 200)}`, { endpoint });
  }
  if (counts.failure_count > 0) {
    throw new QbittorrentError('REJECTED', `qBittorrent did not add ${counts.failure_count} of ${requested} torrents`, {
      endpoint,
      reason: 'failure_count',
    });
  }
}

function parseTorrentList(body: string): TorrentInfo[] {
  const endpoint = '/api/v2/torrents/info';
  const list = parseJson(body, endpoint);
  const valid = Array.isArray(list) && list.every((entry) => typeof (entry as { hash?: unknown } | null)?.hash === 'string');
  if (!valid) throw new QbittorrentError('BAD_RESPONSE', 'torrents/info did not answer a list of torrents', { endpoint });
  return list as TorrentInfo[];
}

function parseJson(text: string, endpoint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new QbittorrentError('BAD_RESPONSE', `${endpoint} did not answer JSON: ${text.slice(0, 200)}`, { endpoint, cause: error });
  }
}

/** fetch rejects with TypeError("fetch failed") whose cause carries the system code: ECONNREFUSED, ENOTFOUND, ECONNRESET, ... */
function systemErrorCode(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') return cause.code;
  return error instanceof Error ? error.message : String(error);
}
