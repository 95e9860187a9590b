/**
 * The WebSocket side of the HTTP server: takes upgrades on the spec's endpoints, authenticates
 * (header, query token, or a first `auth` message), admits within capacity, and runs sessions.
 * Sockets without a key yet have their own small budget, and every refused socket is cut promptly.
 */
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../config/logger.js';
import type { Config } from '../../config/schema.js';
import type { Hub } from '../../hub/hub.js';
import {
  ClientMessageType,
  CloseCode,
  ENDPOINTS,
  ErrorCode,
  isEpoch,
  MAX_CLIENT_ID_LENGTH,
  parseClientMessage,
  ServerMessageType,
} from '../../protocol/index.js';
import type { Identity, KeyRing } from '../api-keys.js';
import { checkBrowserRequest } from '../browser-origin.js';
import { ignoredAuthorizationHint, readCredentials } from '../credentials.js';
import { createDispatcher, rawText, type RequestHandlers } from './dispatch.js';
import { Heartbeat } from './heartbeat.js';
import { connectionError, envelope, errorMessage } from './replies.js';
import { type DeliveryStats, Session, type SessionLimits } from './session.js';

export interface WsServerOptions {
  hub: Hub;
  /** Read at each connection, so live config changes apply to new connections. */
  config: () => Config;
  keys: () => KeyRing;
  handlers: RequestHandlers;
  logger: Logger;
  /** This node's id in a cluster, told to clients in the acknowledgement. */
  node?: string;
  /** Connections of other kinds counted with the sessions toward `limits.max_connections` (SSE streams). */
  otherConnections?: () => number;
}

/** Each endpoint's path as the one string the table holds: a session keeps it rather than a slice of its request's URL. */
const ENDPOINT_PATHS = new Map(Object.keys(ENDPOINTS).map((path) => [path, path]));
const CLIENT_ID = new RegExp(`^[\\x21-\\x7e]{1,${MAX_CLIENT_ID_LENGTH}}$`);
const RETRY_AT_CAPACITY_MS = 5000;
/** A refused socket gets this long (at most `auth.timeout_ms`) to answer the close frame, then it is cut: ws would wait 30 s. */
const REFUSED_CLOSE_GRACE_MS = 1000;

export class WsServer {
  readonly stats: DeliveryStats = { sent: 0, conflated: 0, slowConsumerCloses: 0, rateLimited: 0, heartbeatTimeouts: 0 };
  /** Every open socket, authenticated or not (what a shutdown closes), with its session once it has one. */
  readonly #sockets = new Map<WebSocket, Session | undefined>();
  /** Authenticated connections: what `limits.max_connections` counts. */
  #sessionCount = 0;
  /** Sockets waiting for their `auth` message, oldest first, each with the way to refuse it: `limits.max_unauthenticated_connections`. */
  readonly #unauthenticated = new Map<WebSocket, () => void>();
  readonly #wss: WebSocketServer;
  readonly #options: WsServerOptions;
  readonly #dispatch: ReturnType<typeof createDispatcher>;
  readonly #heartbeat: Heartbeat;
  /** The sessions' limits, one object per configuration rather than one per session. */
  #limits: { config: Config; limits: SessionLimits } | undefined;
  /**
   * The listeners every socket shares: `ws` calls them with the socket as `this`, so that a connection
   * costs no closure of its own (see docs/performance.md, idle connections).
   */
  readonly #onClose: (this: WebSocket) => void;
  readonly #onMessage: (this: WebSocket, raw: RawData, isBinary: boolean) => void;
  readonly #onError = (error: Error): void => this.#options.logger.debug({ err: error }, 'websocket error');
  #draining = false;

  constructor(options: WsServerOptions) {
    this.#options = options;
    this.#wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });
    this.#dispatch = createDispatcher(options.hub, options.handlers);
    this.#heartbeat = new Heartbeat(
      () => {
        const { server } = options.config();
        return { intervalMs: server.heartbeat_interval_ms, timeoutMs: server.heartbeat_timeout_ms };
      },
      (ws) => {
        this.stats.heartbeatTimeouts += 1;
        ws.terminate();
      },
    );
    const server = this;
    this.#onClose = function (this: WebSocket) {
      server.#closed(this);
    };
    this.#onMessage = function (this: WebSocket, raw: RawData, isBinary: boolean) {
      server.#received(this, raw, isBinary);
    };
  }

  get sessionCount(): number {
    return this.#sessionCount;
  }

  /** The HTTP server's `upgrade` listener. Unknown paths get a plain 404. */
  handleUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const eventTypes = ENDPOINTS[url.pathname];
    if (!eventTypes) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // maxPayload is per server in `ws`; set it from the current config before each upgrade.
    this.#wss.options.maxPayload = this.#options.config().limits.max_payload_bytes;
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, request, url, eventTypes));
  };

  /** Refuses new connections from now on (CONNECTION_FAILED, close 1001). */
  startDraining(): void {
    this.#draining = true;
  }

  /** Closes every socket with `code`; after `graceMs` the ones still open are cut. */
  async closeAll(code: number, reason: string, graceMs: number): Promise<void> {
    const closed = [...this.#sockets.keys()].map(
      (ws) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve()))),
    );
    for (const ws of this.#sockets.keys()) ws.close(code, reason);
    const cut = setTimeout(() => {
      for (const ws of this.#sockets.keys()) ws.terminate();
    }, graceMs);
    await Promise.all(closed);
    clearTimeout(cut);
  }

  #accept(ws: WebSocket, request: IncomingMessage, url: URL, eventTypes: readonly (typeof ENDPOINTS)[string][number][]): void {
    const config = this.#options.config();
    const refuse = (message: string, code: number) => refuseSocket(ws, message, code, config.auth.timeout_ms);
    this.#track(ws);

    const browser = checkBrowserRequest(request.headers, { allowedOrigins: config.auth.allowed_origins, listenHost: config.server.host });
    if (!browser.ok) {
      refuse(connectionError(ErrorCode.ORIGIN_NOT_ALLOWED, browser.reason), CloseCode.ORIGIN_NOT_ALLOWED);
      return;
    }
    if (this.#draining) {
      refuse(errorMessage(ErrorCode.CONNECTION_FAILED, 'server is shutting down', undefined, RETRY_AT_CAPACITY_MS), CloseCode.GOING_AWAY);
      return;
    }
    const clientId =
      firstOf(request.headers['x-client-id']) ?? url.searchParams.get('client_id') ?? `client_${randomBytes(6).toString('hex')}`;
    if (!CLIENT_ID.test(clientId)) {
      refuse(
        connectionError(ErrorCode.INVALID_MESSAGE, `X-Client-ID must be 1-${MAX_CLIENT_ID_LENGTH} visible ASCII characters`),
        CloseCode.BAD_REQUEST,
      );
      return;
    }
    const sinceParam = url.searchParams.get('since');
    const since = sinceParam === null ? undefined : Number(sinceParam);
    if (since !== undefined && !(Number.isSafeInteger(since) && since >= 0)) {
      refuse(connectionError(ErrorCode.INVALID_MESSAGE, 'since must be a non-negative integer'), CloseCode.BAD_REQUEST);
      return;
    }
    const epoch = url.searchParams.get('epoch') ?? undefined;
    if (epoch !== undefined && !isEpoch(epoch)) {
      refuse(connectionError(ErrorCode.INVALID_MESSAGE, 'epoch must be 1-64 visible ASCII characters'), CloseCode.BAD_REQUEST);
      return;
    }
    const start = (identity: Identity, replyTo?: string) => {
      // Capacity counts sessions (and SSE streams) only: sockets that never authenticate cannot lock keys out.
      const open = this.#sessionCount + (this.#options.otherConnections?.() ?? 0);
      if (open >= this.#options.config().limits.max_connections) {
        refuse(errorMessage(ErrorCode.CONNECTION_FAILED, 'server at capacity', replyTo, RETRY_AT_CAPACITY_MS), CloseCode.TRY_AGAIN_LATER);
        return;
      }
      this.#startSession({
        ws,
        clientId,
        identity,
        endpoint: ENDPOINT_PATHS.get(url.pathname) ?? url.pathname,
        eventTypes,
        since,
        epoch,
        replyTo,
      });
    };

    const credentials = readCredentials(request.headers.authorization, url.searchParams.get('token') ?? undefined);
    if (credentials.token !== undefined) {
      const identity = this.#options.keys().verify(credentials.token);
      if (identity) start(identity);
      else refuse(connectionError(ErrorCode.AUTH_FAILED, 'authentication failed: invalid API key'), CloseCode.AUTH_FAILED);
      return;
    }
    this.#awaitAuthMessage(ws, config, ignoredAuthorizationHint(credentials), refuse, start);
  }

  /**
   * No credentials in the handshake: the first message must be `auth`, within the timeout. While it
   * waits the socket holds a place in the unauthenticated budget; when that is full, the socket waiting
   * longest gives way, so a flood of silent sockets delays a real client by at most one round trip's worth of places.
   */
  #awaitAuthMessage(
    ws: WebSocket,
    config: Config,
    hint: string,
    refuse: (message: string, code: number) => void,
    start: (identity: Identity, replyTo?: string) => void,
  ): void {
    const timeoutMs = config.auth.timeout_ms;
    if (this.#unauthenticated.size >= config.limits.max_unauthenticated_connections) {
      const [oldest, refuseOldest] = this.#unauthenticated.entries().next().value!;
      this.#unauthenticated.delete(oldest);
      refuseOldest();
    }
    const settle = () => {
      clearTimeout(timer);
      this.#unauthenticated.delete(ws);
    };
    this.#unauthenticated.set(ws, () => {
      settle();
      refuse(
        errorMessage(ErrorCode.CONNECTION_FAILED, 'too many connections waiting to authenticate', undefined, RETRY_AT_CAPACITY_MS),
        CloseCode.TRY_AGAIN_LATER,
      );
    });
    const timer = setTimeout(() => {
      settle();
      refuse(
        connectionError(ErrorCode.AUTH_FAILED, `authentication failed: no credentials within ${timeoutMs} ms${hint}`),
        CloseCode.AUTH_FAILED,
      );
    }, timeoutMs);
    ws.once('close', settle);
    ws.once('message', (raw, isBinary) => {
      if (!this.#unauthenticated.has(ws)) return;
      settle();
      const parsed = isBinary ? undefined : parseClientMessage(rawText(raw));
      const message = parsed?.ok ? parsed.message : undefined;
      const identity = message?.type === ClientMessageType.auth ? this.#options.keys().verify(message.data.token) : undefined;
      if (identity) {
        start(identity, message?.id);
        return;
      }
      const reason =
        message?.type === ClientMessageType.auth ? 'API key invalid' : 'authenticate first: send {"type":"auth","data":{"token":"<key>"}}';
      refuse(errorMessage(ErrorCode.AUTHENTICATION_FAILED, reason, message?.id), CloseCode.AUTH_FAILED);
    });
  }

  /** Counts the socket among the open ones until it closes. */
  #track(ws: WebSocket): void {
    this.#sockets.set(ws, undefined);
    ws.on('close', this.#onClose);
    ws.on('error', this.#onError);
  }

  #closed(ws: WebSocket): void {
    const session = this.#sockets.get(ws);
    this.#sockets.delete(ws);
    if (!session) return;
    this.#sessionCount -= 1;
    this.#heartbeat.delete(ws);
    this.#options.hub.remove(session);
    session.dispose();
  }

  #received(ws: WebSocket, raw: RawData, isBinary: boolean): void {
    const session = this.#sockets.get(ws);
    if (!session) return;
    this.#dispatch(session, raw, isBinary).catch((error: unknown) =>
      this.#options.logger.error({ err: error }, 'client message handler failed'),
    );
  }

  #sessionLimits(): SessionLimits {
    const config = this.#options.config();
    if (this.#limits?.config !== config) {
      const { server, limits } = config;
      this.#limits = {
        config,
        limits: {
          messagesPerSecond: limits.messages_per_second,
          burst: limits.burst,
          heartbeatTimeoutMs: server.heartbeat_timeout_ms,
          sendBufferSoftBytes: server.send_buffer_soft_bytes,
          sendBufferHardBytes: server.send_buffer_hard_bytes,
          subscriptions: { maxPatterns: limits.max_subscriptions, maxListedBytes: limits.max_subscription_bytes },
        },
      };
    }
    return this.#limits.limits;
  }

  #startSession(args: {
    ws: WebSocket;
    clientId: string;
    identity: Identity;
    endpoint: string;
    eventTypes: readonly (typeof ENDPOINTS)[string][number][];
    since: number | undefined;
    epoch: string | undefined;
    replyTo: string | undefined;
  }): void {
    const { ws, since, epoch } = args;
    const { hub, logger } = this.#options;
    const { server } = this.#options.config();
    const session = new Session({ ...args, stats: this.stats, limits: this.#sessionLimits() });
    this.#sockets.set(ws, session);
    this.#sessionCount += 1;
    this.#heartbeat.add(ws);
    hub.add(session);
    ws.on('message', this.#onMessage);

    session.connectedAtSeq = hub.lastSeq;
    // A `since` ahead of the log (say, a reset data directory) is a gap: live delivery starts from now.
    session.lastSeq = Math.min(since ?? hub.lastSeq, hub.lastSeq);
    session.resumed = since !== undefined;
    session.reply(
      envelope(
        ServerMessageType.connection,
        {
          status: 'connected',
          client_id: args.clientId,
          server_time: new Date().toISOString(),
          role: args.identity.role,
          endpoint: args.endpoint,
          event_types: [...args.eventTypes],
          last_seq: hub.lastSeq,
          epoch: hub.epoch,
          heartbeat_interval_ms: server.heartbeat_interval_ms,
          ...(this.#options.node === undefined ? {} : { node: this.#options.node }),
        },
        args.replyTo,
      ),
    );
    if (since === undefined) {
      hub.sendSnapshot(session);
      hub.sendTorrentList(session);
      return;
    }
    // The table is not replayed: a resuming client starts it again from the list.
    hub.sendTorrentList(session);
    hub
      .resume(session, since, { epoch })
      .then((result) => session.reply(envelope(ServerMessageType.resumed, result)))
      .catch((error: unknown) => logger.error({ err: error }, 'resumption failed'));
  }
}

/**
 * Sends the one message an unadmitted socket receives, then the close frame; a peer that has not
 * completed the closing handshake within the grace is cut, so a refused socket costs no more than its refusal.
 */
function refuseSocket(ws: WebSocket, message: string, code: number, authTimeoutMs: number): void {
  ws.send(message);
  ws.close(code, '');
  const cut = setTimeout(() => ws.terminate(), Math.min(REFUSED_CLOSE_GRACE_MS, authTimeoutMs));
  ws.once('close', () => clearTimeout(cut));
}

function firstOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
