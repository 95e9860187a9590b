/** The TypeScript SDK over real sockets: requests and replies, typed events, state, heartbeat, reconnection and resumption. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import WebSocket, { WebSocketServer } from 'ws';
import { createEvent } from '../src/hub/event.js';
import { Subscriptions } from '../src/hub/subscriptions.js';
import {
  backoffDelay,
  type ClientEvents,
  type Phase,
  QbtMonitorClient,
  type ServerMessageData,
  RequestTimeoutError,
  ServerError,
  type SubscriptionsPayload,
} from '../src/client/node.js';
import { acceptsEvent, restorePlan } from '../src/client/subscription-view.js';
import { postMetrics, rest } from './support/rest.js';
import { ADMIN_KEY, READ_KEY, startServer, type TestServer } from './support/server.js';
import { newDataDir, runService, writeConfig } from './support/service-process.js';
import { withTimeout } from './support/ws-client.js';
import { loose } from './support/loose.js';

const WAIT_MS = 5000;
const fast = { maxAttempts: Infinity, initialDelayMs: 20, maxDelayMs: 100 };

/** The next emission of `type` whose arguments satisfy `predicate`, within `timeoutMs`. */
function next<K extends keyof ClientEvents>(
  client: QbtMonitorClient,
  type: K,
  predicate: (...args: Parameters<ClientEvents[K]>) => boolean = () => true,
  timeoutMs = WAIT_MS,
): Promise<Parameters<ClientEvents[K]>> {
  let off = () => {};
  const seen = new Promise<Parameters<ClientEvents[K]>>((resolve) => {
    const handler = ((...args: Parameters<ClientEvents[K]>) => {
      if (predicate(...args)) resolve(args);
    }) as ClientEvents[K];
    off = client.on(type, handler);
  });
  return withTimeout(seen, timeoutMs, `no ${String(type)} event`).finally(off);
}

function phases(client: QbtMonitorClient): Phase[] {
  const seen: Phase[] = [];
  client.on('state', ({ newState }) => seen.push(newState.phase));
  return seen;
}

const alert = (alertId: string, type: string, level: string) =>
  loose({
    alert_id: alertId,
    type,
    level,
    status: 'active',
    title: alertId,
    message: alertId,
  });
const status = (component: string, n: number) => loose({ component, status: 'running', n });
/** The test's own counter in a status event (not a protocol field). */
const nOf = (data: object) => (data as { n?: number }).n;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** A bare WebSocket server the test scripts: it acknowledges like the real one (or not), then does only what `behave` says. */
async function bareServer(
  behave: (socket: WebSocket) => void,
): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((done) => wss.once('listening', done));
  let connections = 0;
  wss.on('connection', (socket) => {
    connections += 1;
    behave(socket);
  });
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    connections: () => connections,
    async close() {
      for (const socket of wss.clients) socket.terminate();
      await new Promise((done) => wss.close(done));
    },
  };
}

function ackFrame(): string {
  const now = new Date().toISOString();
  const data = {
    status: 'connected',
    client_id: 'bare',
    server_time: now,
    role: 'read',
    endpoint: '/ws',
    event_types: ['alert'],
    last_seq: 0,
    heartbeat_interval_ms: 30000,
  };
  return JSON.stringify({ type: 'connection', id: 'conn_bare', timestamp: now, data });
}

describe('backoff', () => {
  test('capped exponential, with full jitter between 0 and the cap', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, options, () => 1)),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.deepEqual(
      [1, 4, 9].map((n) => backoffDelay(n, options, () => 0)),
      [0, 0, 0],
    );
    assert.equal(
      backoffDelay(3, options, () => 0.5),
      200,
    );
    assert.equal(
      backoffDelay(5000, options, () => 1),
      1000,
      'no overflow for a client that never gives up',
    );
  });
});

describe('subscription view', () => {
  const scenarios: Array<Array<['subscribe', string[], object?] | ['unsubscribe', string[]]>> = [
    [],
    [['subscribe', ['alert.cpu'], { level: ['warning', 'critical'] }]],
    [
      ['subscribe', ['alert.cpu'], { level: 'critical' }],
      ['subscribe', ['alert.memory']],
      ['subscribe', ['status.*']],
    ],
    [['subscribe', ['performance.api_response_time'], { 'tags.endpoint': '/api/v1/config' }]],
    [['unsubscribe', ['performance.*']]],
    [
      ['subscribe', ['alert.cpu', 'alert.disk']],
      ['unsubscribe', ['alert.cpu']],
    ],
    [
      ['subscribe', ['system']],
      ['unsubscribe', ['system.*']],
    ],
    [['subscribe', ['*'], { level: 'info' }]],
  ];
  const events = [
    createEvent('alert.cpu', alert('a1', 'cpu', 'warning')),
    createEvent('alert.cpu', alert('a2', 'cpu', 'info')),
    createEvent('alert.memory', alert('a3', 'memory', 'critical')),
    createEvent('alert.disk', alert('a4', 'disk', 'info')),
    createEvent('status.clipboard_monitor', status('clipboard_monitor', 1)),
    createEvent('performance.system', loose({ cpu_percent: 1 })),
    createEvent(
      'performance.api_response_time',
      loose({ metric_name: 'api_response_time', value: 1, tags: { endpoint: '/api/v1/config' } }),
    ),
    createEvent('performance.api_response_time', loose({ metric_name: 'api_response_time', value: 1, tags: { endpoint: '/elsewhere' } })),
    createEvent('system.service_restart', loose({ event: 'service_restart', service: 'qbittorrent_monitor' })),
    createEvent('config.updated', loose({ action: 'updated', fields: [] })),
  ];
  const types = ['performance', 'alert', 'status', 'config', 'system'] as const;

  test('lets through exactly what the server lets through, for the same subscriptions', () => {
    for (const steps of scenarios) {
      const server = new Subscriptions(types);
      for (const [op, patterns, filters] of steps) {
        if (op === 'subscribe') server.subscribe(patterns, filters as never);
        else server.unsubscribe(patterns);
      }
      const reply: SubscriptionsPayload = { events: [], ...server.describe() };
      for (const event of events) {
        assert.equal(
          acceptsEvent(reply, event),
          server.accepts(event),
          `${JSON.stringify(steps)} on ${event.name} ${JSON.stringify(event.data)}`,
        );
      }
    }
  });

  test('the restore plan takes a fresh connection back to the same subscriptions', () => {
    for (const steps of scenarios) {
      const original = new Subscriptions(types);
      for (const [op, patterns, filters] of steps) {
        if (op === 'subscribe') original.subscribe(patterns, filters as never);
        else original.unsubscribe(patterns);
      }
      const restored = new Subscriptions(types);
      for (const request of restorePlan({ events: [], ...original.describe() }, types)) {
        if (request.type === 'subscribe') restored.subscribe(request.data.events, request.data.filters);
        else restored.unsubscribe(request.data.events);
      }
      assert.deepEqual(restored.describe(), original.describe(), JSON.stringify(steps));
    }
  });
});

describe('against the server', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  test('connects with the key as a header, a query token or an auth message; states go connecting, open, closing, closed', async () => {
    for (const auth of ['header', 'query', 'message'] as const) {
      const client = new QbtMonitorClient({ url: server.wsUrl(), apiKey: READ_KEY, auth, clientId: `sdk-${auth}` });
      const changes: string[] = [];
      client.on('state', ({ oldState, newState }) => changes.push(`${oldState.phase}>${newState.phase}`));
      assert.equal(client.readyState, 3);
      const opened = client.connect();
      assert.equal(client.readyState, 0);
      const ack = await opened;
      assert.equal(ack.client_id, `sdk-${auth}`);
      assert.equal(client.readyState, 1);
      const closed = client.close();
      assert.equal(client.readyState, 2);
      await closed;
      assert.equal(client.readyState, 3);
      assert.deepEqual(changes, ['idle>connecting', 'connecting>open', 'open>closing', 'closing>closed'], auth);
      assert.deepEqual(client.state, { phase: 'closed', code: 1000, reason: 'client closed', cause: 'client' });
    }
  });

  test('subscribe and unsubscribe resolve with the subscriptions in force, and narrow what arrives', async () => {
    const client = new QbtMonitorClient({ url: server.wsUrl(), apiKey: READ_KEY });
    await client.connect();
    const subscribed = await client.subscribe(['alert.cpu', 'alert.memory'], { level: ['warning', 'critical'] });
    assert.deepEqual(subscribed.subscriptions, [
      { pattern: 'alert.cpu', filters: { level: ['warning', 'critical'] } },
      { pattern: 'alert.memory', filters: { level: ['warning', 'critical'] } },
    ]);
    assert.ok(!subscribed.unfiltered_types.includes('alert'));
    const unsubscribed = await client.unsubscribe(['alert.memory']);
    assert.deepEqual(
      unsubscribed.subscriptions.map((s) => s.pattern),
      ['alert.cpu'],
    );
    assert.deepEqual(client.subscriptions, unsubscribed);

    const received: string[] = [];
    client.on('alert', (data) => received.push(data.alert_id));
    const sentinel = next(client, 'system', (data) => data.event === 'sentinel_narrow');
    server.app.publish('alert.cpu', alert('info-cpu', 'cpu', 'info'));
    server.app.publish('alert.memory', alert('memory', 'memory', 'critical'));
    server.app.publish('alert.cpu', alert('critical-cpu', 'cpu', 'critical'));
    server.app.publish('system.sentinel_narrow', { event: 'sentinel_narrow', service: 'test' });
    await sentinel;
    assert.deepEqual(received, ['critical-cpu']);
    await assert.rejects(
      client.subscribe(['alert.not a name!']),
      (error: ServerError) => error instanceof ServerError && error.code === 'INVALID_SUBSCRIPTION',
    );
    await client.close();
  });

  test('requestData resolves with the data reply, or rejects UNAVAILABLE where the server has no metric store', async () => {
    const client = new QbtMonitorClient({ url: server.wsUrl(), apiKey: READ_KEY });
    await client.connect();
    try {
      const reply = await client.requestData(['cpu_percent', 'no_such_metric'], 10);
      assert.equal(reply.history_minutes, 10);
      assert.ok(reply.metrics.cpu_percent, 'a known metric is answered');
      assert.ok(Array.isArray(reply.metrics.cpu_percent.samples));
      assert.deepEqual(reply.unknown_metrics, ['no_such_metric']);
    } catch (error) {
      assert.ok(error instanceof ServerError, String(error));
      assert.equal(error.code, 'UNAVAILABLE');
    }
    await client.close();
  });

  test('resolveAlert with a read key rejects FORBIDDEN; ping resolves with the round trip', async () => {
    const client = new QbtMonitorClient({ url: server.wsUrl(), apiKey: READ_KEY });
    await client.connect();
    await assert.rejects(
      client.resolveAlert('alert_1', 'fixed'),
      (error: ServerError) => error instanceof ServerError && error.code === 'FORBIDDEN',
    );
    const roundTrip = await client.ping();
    assert.ok(roundTrip >= 0 && roundTrip < WAIT_MS);
    await client.close();
    await assert.rejects(client.ping(), { code: 'CLOSED' }, 'a closed client sends nothing');
  });

  test('acknowledgeAlert (admin): the ack, then the alert again carrying the acknowledgement; a read key is FORBIDDEN', async () => {
    const patched = await rest(server, 'PATCH', '/api/v1/config', { body: { alerts: { rules: [{ metric: 'sdk_depth', threshold: 1 }] } } });
    assert.equal(patched.status, 200);
    const admin = new QbtMonitorClient({ url: server.wsUrl(), apiKey: ADMIN_KEY });
    await admin.connect();
    const fired = next(admin, 'alert', (data) => data.type === 'sdk_depth' && data.status === 'active');
    await postMetrics(server, { metric_name: 'sdk_depth', value: 5 });
    const [alertData] = await fired;
    const reader = new QbtMonitorClient({ url: server.wsUrl(), apiKey: READ_KEY });
    await reader.connect();
    await assert.rejects(
      reader.acknowledgeAlert(alertData.alert_id),
      (error: ServerError) => error instanceof ServerError && error.code === 'FORBIDDEN',
    );
    await reader.close();

    const updated = next(admin, 'alert', (data) => data.alert_id === alertData.alert_id && data.acknowledged_by !== undefined);
    const ack = await admin.acknowledgeAlert(alertData.alert_id, 'seen from the SDK');
    assert.deepEqual(ack, { request: 'acknowledge_alert', alert_id: alertData.alert_id });
    const [data] = await updated;
    assert.equal(data.status, 'active');
    assert.equal(data.acknowledged_by, 'test-admin');
    assert.equal(data.acknowledgement, 'seen from the SDK');
    await admin.close();
  });

  test('handlers are typed per message type; off() and the returned function remove them', async () => {
    const client = new QbtMonitorClient({ url: server.wsUrl(), apiKey: READ_KEY });
    await client.connect();
    const levels: string[] = [];
    const everything: string[] = [];
    const onAlert = (data: ServerMessageData['alert']) => {
      levels.push(data.level); // `level` exists on both the active and the resolved alert
      if (data.status === 'active') levels.push(data.title);
    };
    client.on('alert', onAlert);
    const stopAll = client.on('message', (message) => everything.push(message.type));
    // @ts-expect-error an alert handler does not receive performance data
    client.on('alert', (data: { cpu_percent: number }) => data.cpu_percent);

    let done = next(client, 'system', (data) => data.event === 'sentinel_1');
    server.app.publish('alert.cpu', alert('typed', 'cpu', 'warning'));
    server.app.publish('system.sentinel_1', { event: 'sentinel_1', service: 'test' });
    await done;
    client.off('alert', onAlert);
    stopAll();
    done = next(client, 'system', (data) => data.event === 'sentinel_2');
    server.app.publish('alert.cpu', alert('unheard', 'cpu', 'critical'));
    server.app.publish('system.sentinel_2', { event: 'sentinel_2', service: 'test' });
    await done;
    assert.deepEqual(levels, ['warning', 'typed']);
    assert.deepEqual(everything, ['alert', 'system']);
    await client.close();
  });

  test('a subscription made before the connection opens applies to the state sent on connect', async () => {
    server.app.publish('alert.memory', alert('snapshot-memory', 'memory', 'critical'));
    server.app.publish('alert.cpu', alert('snapshot-cpu', 'cpu', 'critical'));
    await server.app.bus.flush();
    const client = new QbtMonitorClient({ url: server.wsUrl(), apiKey: READ_KEY });
    const snapshot: string[] = [];
    client.on('alert', (data, message) => message.meta?.snapshot && snapshot.push(data.alert_id));
    void client.connect();
    await client.subscribe(['alert.cpu']);
    assert.ok(snapshot.includes('snapshot-cpu'));
    assert.ok(!snapshot.includes('snapshot-memory'), `unsubscribed alert type leaked: ${snapshot.join(', ')}`);
    await client.close();
  });

  test('a live server answers every heartbeat: the link stays open', async () => {
    const client = new QbtMonitorClient({ url: server.wsUrl(), apiKey: READ_KEY, heartbeat: { intervalMs: 40, timeoutMs: 200 } });
    const seen = phases(client);
    await client.connect();
    let pongs = 0;
    await new Promise<void>((done) => client.on('pong', () => ++pongs === 4 && done()));
    assert.deepEqual(seen, ['connecting', 'open']);
    await client.close();
  });

  test("a bad key is final: no reconnect, connect() rejects with the server's code and close 4401", async () => {
    for (const auth of ['header', 'message'] as const) {
      const client = new QbtMonitorClient({ url: server.wsUrl(), apiKey: 'not-a-key-0123456789', auth, reconnect: fast });
      const seen = phases(client);
      let reconnects = 0;
      client.on('reconnecting', () => (reconnects += 1));
      const expected = auth === 'header' ? 'AUTH_FAILED' : 'AUTHENTICATION_FAILED';
      await assert.rejects(
        client.connect(),
        (error: ServerError) => error instanceof ServerError && error.code === expected && error.closeCode === 4401,
      );
      assert.deepEqual(seen, ['connecting', 'closed']);
      assert.equal(reconnects, 0);
      assert.equal(client.state.phase === 'closed' && client.state.cause, 'server');
    }
  });
});

describe('recovery', () => {
  test('a server that never answers pings is declared dead within the timeout; the client reconnects', async () => {
    const silent = await bareServer((socket) => socket.send(ackFrame()));
    try {
      const client = new QbtMonitorClient({
        url: silent.url,
        apiKey: 'k',
        heartbeat: { intervalMs: 100, timeoutMs: 150 },
        reconnect: fast,
      });
      await client.connect();
      const openedAt = Date.now();
      const [lost] = await next(client, 'reconnecting');
      const elapsed = Date.now() - openedAt;
      assert.equal(lost.code, 1006);
      assert.match(lost.reason, /no answer to ping within 150 ms/);
      assert.ok(elapsed >= 240 && elapsed < 1500, `declared dead after ${elapsed} ms (interval 100 + timeout 150)`);
      await next(client, 'state', ({ newState }) => newState.phase === 'open');
      assert.ok(silent.connections() >= 2);
      await client.close();
    } finally {
      await silent.close();
    }
  });

  test('a request without a reply rejects with RequestTimeoutError', async () => {
    const silent = await bareServer((socket) => socket.send(ackFrame()));
    try {
      const client = new QbtMonitorClient({ url: silent.url, apiKey: 'k', requestTimeoutMs: 150 });
      await client.connect();
      await assert.rejects(client.requestData(['cpu_percent'], 1), (error: RequestTimeoutError) => {
        return error instanceof RequestTimeoutError && error.code === 'REQUEST_TIMEOUT' && error.timeoutMs === 150;
      });
      await client.close();
    } finally {
      await silent.close();
    }
  });

  test('close 1013 and 4429 wait for the retry_after of the last error before reconnecting', async () => {
    for (const code of [1013, 4429]) {
      const busy = await bareServer((socket) => {
        const now = new Date().toISOString();
        socket.send(
          JSON.stringify({
            type: 'error',
            id: 'e',
            timestamp: now,
            data: { code: 'CONNECTION_FAILED', message: 'busy', retry_after: 400 },
          }),
        );
        socket.close(code, '');
      });
      try {
        const client = new QbtMonitorClient({ url: busy.url, apiKey: 'k', reconnect: { ...fast, initialDelayMs: 10, maxDelayMs: 20 } });
        void client.connect();
        const [retry] = await next(client, 'reconnecting');
        assert.equal(retry.code, code);
        assert.ok(retry.delayMs >= 400, `waited ${retry.delayMs} ms after ${code}`);
        await client.close();
      } finally {
        await busy.close();
      }
    }
  });

  test('gives up after maxAttempts failed reconnects: give_up, closed, connect() rejected', async () => {
    const port = await closedPort();
    const client = new QbtMonitorClient({
      url: `ws://127.0.0.1:${port}/ws`,
      apiKey: 'k',
      reconnect: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 20 },
    });
    const attempts: number[] = [];
    client.on('reconnecting', ({ attempt }) => attempts.push(attempt));
    const gaveUp = next(client, 'give_up');
    await assert.rejects(client.connect(), { code: 'CLOSED' });
    const [event] = await gaveUp;
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.equal(event.attempts, 3);
    assert.equal(client.state.phase === 'closed' && client.state.cause, 'gave_up');
  });

  test('across a restart on the same port and data: each missed event once, in order; subscriptions restored', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'qbtm-sdk-'));
    let server = await startServer({}, { dataDir });
    const client = new QbtMonitorClient({ url: server.wsUrl(), apiKey: READ_KEY, reconnect: fast });
    try {
      const seen = phases(client);
      const statuses: string[] = [];
      const systemEvents: string[] = [];
      const seqs: number[] = [];
      client.on('message', (message) => message.meta?.seq !== undefined && seqs.push(message.meta.seq));
      client.on('status', (data, message) => !message.meta?.snapshot && statuses.push(`${data.component}:${String(nOf(data))}`));
      client.on('system', (data) => systemEvents.push(data.event));
      void client.connect();
      const before = await client.subscribe(['status.keep']);
      let arrived = next(client, 'status', (data) => nOf(data) === 0);
      server.app.publish('status.keep', status('keep', 0));
      await arrived;

      const lost = next(client, 'reconnecting');
      await server.stop();
      assert.equal((await lost)[0].code, 1001);
      const resumed = next(client, 'resumed');
      server = await startServer({ server: { port: server.port } }, { dataDir });
      // Published before the client is back: the server replays them, under its defaults, before the client re-subscribes.
      for (let n = 1; n <= 5; n += 1) {
        server.app.publish('status.keep', status('keep', n));
        server.app.publish('status.drop', status('drop', n));
      }
      const [replay] = await resumed;
      assert.equal(replay.gap, false);
      // service_restart, the components' start-up statuses, and every keep and drop: the client drops all but the keeps.
      assert.ok(replay.replayed >= 11, `replayed ${replay.replayed}`);
      arrived = next(client, 'status', (data) => nOf(data) === 6);
      server.app.publish('status.drop', status('drop', 6));
      server.app.publish('status.keep', status('keep', 6));
      await arrived;

      assert.deepEqual(statuses, ['keep:0', 'keep:1', 'keep:2', 'keep:3', 'keep:4', 'keep:5', 'keep:6']);
      assert.deepEqual(systemEvents, ['service_stopping', 'service_restart']);
      assert.deepEqual(
        seqs,
        [...new Set(seqs)].sort((a, b) => a - b),
        'increasing, no duplicates',
      );
      assert.deepEqual(client.subscriptions?.subscriptions, before.subscriptions);
      assert.deepEqual(seen.slice(0, 3), ['connecting', 'open', 'reconnecting']);
      assert.equal(seen.at(-1), 'open');
    } finally {
      await client.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a new event log (a lost data directory): one gap, its events kept whatever their numbers, then resumptions in it', async () => {
    // A log made first numbers below one made after it: the client moves from the later log to the earlier one.
    const earlierDir = mkdtempSync(join(tmpdir(), 'qbtm-sdk-'));
    await (await startServer({}, { dataDir: earlierDir })).stop();
    let server = await startServer();
    const port = server.port;
    const client = new QbtMonitorClient({ url: server.wsUrl(), apiKey: READ_KEY, reconnect: fast });
    try {
      await client.connect();
      for (let n = 1; n <= 5; n += 1) server.app.publish('status.old', status('old', n));
      await next(client, 'status', (data) => nOf(data) === 5);
      const old = { epoch: client.epoch!, seq: client.lastSeq! };
      assert.equal(old.epoch, server.app.hub.epoch);

      const gap = next(client, 'gap');
      const lost = next(client, 'reconnecting');
      await server.stop();
      await lost;
      const left = client.lastSeq!; // service_stopping came last
      server = await startServer({ server: { port } }, { dataDir: earlierDir });
      const [resumed] = await gap;
      assert.deepEqual([resumed.since, resumed.epoch], [left, server.app.hub.epoch], 'resumed with the old seq and epoch: a gap');
      assert.equal(client.epoch, server.app.hub.epoch, 'the new epoch from now on');
      const fresh = next(client, 'status', (data, message) => data.component === 'fresh' && !message.meta?.snapshot, 2000);
      server.app.publish('status.fresh', status('fresh', 1));
      const [, message] = await fresh;
      assert.ok(message.meta!.seq! < old.seq, 'a lower seq of the new log still arrives');

      const again = next(client, 'resumed');
      await server.stop();
      server = await startServer({ server: { port } }, { dataDir: earlierDir });
      const [resumption] = await again;
      assert.deepEqual([resumption.gap, resumption.epoch], [false, client.epoch], 'the same log: resumed without a gap');
      assert.ok(resumption.since >= message.meta!.seq!);
    } finally {
      await client.close();
      await server.stop();
      rmSync(earlierDir, { recursive: true, force: true });
    }
  });

  test('the service killed (SIGKILL) and restarted: the client comes back on its own, resumes, and restores its subscriptions', async () => {
    const dataDir = newDataDir();
    const config = writeConfig(dataDir, { auth: { api_keys: [{ name: 'ops', key: ADMIN_KEY, role: 'admin' }] } });
    const first = await runService(['--data-dir', dataDir, '--config', config]);
    const client = new QbtMonitorClient({
      url: `ws://127.0.0.1:${first.port}/ws`,
      apiKey: ADMIN_KEY,
      reconnect: { ...fast, maxDelayMs: 300 },
    });
    let second: Awaited<ReturnType<typeof runService>> | undefined;
    try {
      const restarts: number[] = [];
      const replies: SubscriptionsPayload[] = [];
      client.on('system', (data, message) => data.event === 'service_restart' && restarts.push(message.meta!.seq!));
      client.on('subscribed', (data) => replies.push(data));
      void client.connect();
      const before = await client.subscribe(['system.service_restart'], { service: 'qbittorrent_monitor' });
      const lastSeen = client.lastSeq!;

      const lost = next(client, 'reconnecting');
      // Replayed before the `resumed` message, or live after it: listened for from now on.
      const restarted = next(client, 'system', (data) => data.event === 'service_restart', 20_000);
      first.child.kill('SIGKILL');
      await first.exited;
      assert.equal((await lost)[0].code, 1006);
      const resumed = next(client, 'resumed', () => true, 20_000);
      second = await runService(['--data-dir', dataDir, '--config', config, '--port', String(first.port)]);
      const [resumption] = await resumed;
      assert.equal(resumption.since, lastSeen);
      assert.equal(resumption.gap, false);
      const [restart, message] = await restarted;
      assert.equal(restart.service, 'qbittorrent_monitor');
      assert.equal((restart as { reason?: string }).reason, 'unclean_shutdown');
      assert.equal((restart as { new_pid?: number }).new_pid, second.pid);
      assert.ok(message.meta!.seq! > lastSeen);
      await client.ping(); // everything the server sent before this reply has been handled
      assert.deepEqual(restarts, [message.meta!.seq], 'once');
      assert.equal(replies.length, 2, 'the subscription was sent again on the new connection');
      assert.deepEqual(replies[1]!.subscriptions, before.subscriptions);
    } finally {
      await client.close();
      await second?.stop('SIGTERM');
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('close() leaves nothing running: a program using the SDK exits by itself', async () => {
    const server = await startServer();
    try {
      const script = resolve(import.meta.dirname, 'support/sdk-script.ts');
      const child = spawn(process.execPath, ['--import', 'tsx', script, server.wsUrl(), READ_KEY], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const exited = new Promise<number | null>((done) => child.once('exit', done));
      await withTimeout(
        new Promise<void>((ready) => child.stdout.on('data', () => out.includes('ready') && ready())),
        10_000,
        'script did not subscribe',
      );
      server.app.publish('alert.cpu', alert('exit-test', 'cpu', 'warning'));
      const code = await withTimeout(exited, 5000, `script did not exit by itself (stdout: ${out}, stderr: ${err})`).catch(
        (error: unknown) => {
          child.kill('SIGKILL');
          throw error;
        },
      );
      assert.equal(code, 0, err);
      assert.match(out, /alert exit-test\n/);
      assert.match(out, /pending request: CLOSED\n/);
      assert.match(out, /closed\n/);
    } finally {
      await server.stop();
    }
  });

  test('the browser entry bundles without ws or any Node built-in, and works given a WebSocket class', async () => {
    const result = await build({
      entryPoints: [resolve(import.meta.dirname, '../src/client/index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(!inputs.some((path) => path.includes('node_modules/')), `bundled dependencies: ${inputs.join(', ')}`);
    const bundle = result.outputFiles[0]!.text;
    // Unminified; the torrents helpers (TorrentTable, TorrentsApi) are some 5 KB of it.
    assert.ok(bundle.length < 45_000, `bundle is ${bundle.length} bytes`);

    const dir = mkdtempSync(join(tmpdir(), 'qbtm-bundle-'));
    const server = await startServer();
    try {
      const file = join(dir, 'sdk.mjs');
      writeFileSync(file, bundle);
      const sdk = (await import(pathToFileURL(file).href)) as typeof import('../src/client/index.js');
      // The browser default sends the key in an auth message, never in the URL.
      const client = new sdk.QbtMonitorClient({ url: server.wsUrl(), apiKey: READ_KEY, WebSocket });
      const ack = await client.connect();
      assert.equal(ack.role, 'read');
      await client.close();
      assert.throws(() => new sdk.QbtMonitorClient({ url: server.wsUrl(), apiKey: READ_KEY }), /no WebSocket implementation/);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
