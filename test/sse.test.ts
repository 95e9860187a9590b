/**
 * GET /api/v1/events, server-sent events over a real socket: the same keys, envelope and subscription
 * semantics as the WebSocket, `id:` = seq, resumption from Last-Event-ID (with the epoch), keep-alive
 * comments, the slow-reader bound, and a clean end at shutdown.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loose } from './support/loose.js';
import { openSse, type SseClient } from './support/sse-client.js';
import { ADMIN_KEY, READ_KEY, startServer, type TestServer } from './support/server.js';
import { waitUntil } from './support/wait.js';
import { connectAuthed } from './support/ws-client.js';

const alert = (id: string, level: string, extra: object = {}) =>
  loose({
    alert_id: id,
    type: 'cpu',
    level,
    title: 'CPU high',
    message: 'CPU at 91%',
    value: 91,
    threshold: 90,
    status: 'active',
    metadata: {},
    ...extra,
  });

describe('server-sent events', () => {
  let server: TestServer;
  const open: SseClient[] = [];
  before(async () => {
    server = await startServer({ server: { sse_keepalive_ms: 200, send_buffer_hard_bytes: 262_144, send_buffer_soft_bytes: 65_536 } });
  });
  after(async () => {
    for (const client of open) client.close();
    await server.stop();
  });
  const events = async (query = '', headers: Record<string, string> = { authorization: `Bearer ${READ_KEY}` }) => {
    const client = await openSse(`${server.url}/api/v1/events${query}`, headers);
    open.push(client);
    return client;
  };
  const refusal = async (query: string, headers: Record<string, string> = { authorization: `Bearer ${READ_KEY}` }) => {
    const error = (await events(query, headers).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    )) as { status: number; body: string };
    return { status: error.status, body: JSON.parse(error.body) as { error: { code: string; message: string } } };
  };

  test('/healthz counts streams (sse_streams) beside WebSocket connections (connections): both count toward max_connections', async () => {
    const health = async () => (await (await fetch(`${server.url}/healthz`)).json()) as { connections: number; sse_streams: number };
    assert.deepEqual(await health().then((h) => [h.connections, h.sse_streams]), [0, 0]);
    const sse = await events();
    await sse.next((r) => r.event === 'connection');
    assert.deepEqual(await health().then((h) => [h.connections, h.sse_streams]), [0, 1]);
    const { client } = await connectAuthed(server.wsUrl(), READ_KEY);
    assert.deepEqual(await health().then((h) => [h.connections, h.sse_streams]), [1, 1]);
    sse.close();
    client.close();
    await waitUntil(async () => (await health().then((h) => h.connections + h.sse_streams)) === 0, 5000, 'both gone from /healthz');
  });

  test('the same keys: a missing or wrong key is 401 before any stream; header or ?token= opens one', async () => {
    assert.equal((await refusal('', {})).status, 401);
    const wrong = await refusal('', { authorization: 'Bearer not-a-key-0123456789' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'AUTH_FAILED');
    const byQuery = await events(`?token=${READ_KEY}`, {});
    assert.equal(byQuery.response.headers['content-type'], 'text/event-stream; charset=utf-8');
    const ack = await byQuery.next();
    assert.equal(ack.event, 'connection');
    assert.equal(ack.message.data.status, 'connected');
    assert.equal(ack.message.data.role, 'read');
    assert.equal(ack.message.data.epoch, server.app.hub.epoch);
    byQuery.close();
  });

  test('each event: `event:` its name, `id:` its seq when durable, `data:` the envelope a WebSocket client gets', async () => {
    const sse = await events();
    await sse.next((r) => r.event === 'connection');
    const { client } = await connectAuthed(server.wsUrl(), READ_KEY);
    server.app.publish('alert.cpu', alert('alert_sse_1', 'warning'));
    server.app.publish('performance.system', loose({ cpu_percent: 12.5, memory_percent: 40, process_count: 100 }));
    const record = await sse.next((r) => r.event === 'alert.cpu');
    const overWs = await client.next((m) => m.type === 'alert' && m.data.alert_id === 'alert_sse_1');
    assert.deepEqual(record.message, overWs, 'the same envelope, byte for byte');
    assert.equal(record.id, String(overWs.meta!.seq));
    const sample = await sse.next((r) => r.event === 'performance.system');
    assert.equal(sample.id, undefined, 'performance samples are not durable: no id');
    client.close();
    sse.close();
  });

  test('a stream is not a REST call: it is not measured as api_response_time', async () => {
    const { client } = await connectAuthed(server.wsUrl('/ws/performance'), READ_KEY);
    client.send({ type: 'subscribe', data: { events: ['performance.api_response_time'] } });
    await client.next((m) => m.type === 'subscribed');
    const sse = await events();
    await sse.next((r) => r.event === 'connection');
    sse.close();
    await sse.ended;
    await fetch(`${server.url}/api/v1/config`, { headers: { authorization: `Bearer ${READ_KEY}` } });
    const measured = await client.next((m) => m.data?.tags?.endpoint === '/api/v1/config');
    const streams = client.received.filter((m) => m.data?.tags?.endpoint === '/api/v1/events');
    assert.ok(measured && streams.length === 0, `stream durations measured: ${JSON.stringify(streams.map((m) => m.data.value))}`);
    client.close();
  });

  test('the snapshot first, marked as on the WebSocket; then keep-alive comments while idle', async () => {
    server.app.publish('alert.cpu', alert('alert_sse_snap', 'critical'));
    const sse = await events('?types=alert');
    await sse.next((r) => r.event === 'connection');
    const snapshot = await sse.next((r) => r.message.data?.alert_id === 'alert_sse_snap');
    assert.equal(snapshot.message.meta?.snapshot, true);
    assert.equal(snapshot.id, undefined, 'state, not a numbered event');
    // sse_keepalive_ms is 200 here: two comments well within a second of an idle stream.
    await sse.moreComments(2, 2000);
    sse.close();
  });

  test('events and filters narrow like subscribe; types restrict like an endpoint; mistakes are 400s', async () => {
    const narrowed = await events(`?events=alert.cpu&filters=${encodeURIComponent('{"level":["critical"]}')}`);
    const alertsOnly = await events('?types=alert');
    server.app.publish('alert.cpu', alert('alert_sse_warn', 'warning'));
    server.app.publish('performance.system', loose({ cpu_percent: 50, memory_percent: 40, process_count: 100 }));
    server.app.publish('alert.cpu', alert('alert_sse_crit', 'critical'));
    server.app.publish('status.custom_component', loose({ component: 'custom_component', status: 'running' }));
    const critical = await narrowed.next((r) => r.event === 'alert.cpu' && !r.message.meta?.snapshot);
    assert.equal(critical.message.data.alert_id, 'alert_sse_crit', 'the warning was filtered out');
    await narrowed.next((r) => r.event === 'status.custom_component'); // other types keep flowing
    assert.ok(
      narrowed.records.some((r) => r.event === 'performance.system'),
      'performance still flows',
    );
    await alertsOnly.next((r) => r.message.data?.alert_id === 'alert_sse_crit');
    assert.ok(
      alertsOnly.records.every((r) => r.event === 'connection' || r.message.type === 'alert'),
      'types=alert: nothing but alerts',
    );

    const outside = await refusal('?types=alert&events=performance.system');
    assert.deepEqual([outside.status, outside.body.error.code], [400, 'INVALID_SUBSCRIPTION']);
    for (const query of ['?types=nonsense', '?events=alert.cpu&filters=not-json', '?filters=%7B%22level%22%3A%22x%22%7D', '?since=-1']) {
      const refused = await refusal(query);
      assert.deepEqual([refused.status, refused.body.error.code], [400, 'INVALID_MESSAGE'], query);
    }
    narrowed.close();
    alertsOnly.close();
  });

  test('Last-Event-ID resumes: exactly the durable events missed, in order, then live; another epoch is a gap', async () => {
    const first = await events('?types=alert');
    server.app.publish('alert.cpu', alert('alert_resume_0', 'warning'));
    const seen = await first.next((r) => r.message.data?.alert_id === 'alert_resume_0');
    first.close();
    await first.ended;
    for (let i = 1; i <= 3; i += 1) server.app.publish('alert.cpu', alert(`alert_resume_${i}`, 'warning'));

    const resumed = await events('?types=alert', { authorization: `Bearer ${READ_KEY}`, 'last-event-id': seen.id! });
    await resumed.next((r) => r.event === 'connection');
    const replayed = [await resumed.next(), await resumed.next(), await resumed.next()];
    assert.deepEqual(
      replayed.map((r) => [r.message.data.alert_id, r.message.meta?.replay]),
      [1, 2, 3].map((i) => [`alert_resume_${i}`, true]),
    );
    assert.deepEqual(
      replayed.map((r) => Number(r.id)),
      [...replayed.map((r) => Number(r.id))].sort((a, b) => a - b),
    );
    const outcome = await resumed.next((r) => r.event === 'resumed');
    assert.deepEqual([outcome.message.data.replayed, outcome.message.data.gap], [3, false]);
    server.app.publish('alert.cpu', alert('alert_resume_4', 'warning'));
    assert.equal((await resumed.next()).message.data.alert_id, 'alert_resume_4', 'then live, nothing twice');
    resumed.close();

    const bySince = await events(`?types=alert&since=${seen.id}`);
    await bySince.next((r) => r.event === 'resumed');
    assert.equal(bySince.records.filter((r) => r.message.meta?.replay).length, 4);
    bySince.close();

    const otherLog = await events(`?types=alert&since=${seen.id}&epoch=another-log`);
    const gap = await otherLog.next((r) => r.event === 'resumed');
    assert.equal(gap.message.data.gap, true);
    assert.ok(
      otherLog.records.some((r) => r.message.meta?.snapshot),
      'a fresh snapshot instead',
    );
    otherLog.close();
  });

  test('a reader that stops reading is cut at the hard limit, and resumes what it missed', async () => {
    const slow = await events('?types=alert');
    const ack = await slow.next((r) => r.event === 'connection');
    slow.pause();
    const big = 'x'.repeat(65_536);
    const cutsBefore = server.app.sse.stats.slowConsumerCloses;
    let published = 0;
    // Each event is 64 KB; past what the kernel's socket buffers take, 256 KB of backlog cut the stream.
    for (; published < 1000 && server.app.sse.stats.slowConsumerCloses === cutsBefore; published += 1) {
      server.app.publish('alert.cpu', alert(`alert_slow_${published}`, 'warning', { message: big }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(server.app.sse.stats.slowConsumerCloses, cutsBefore + 1);
    // The client sees the end once it reads again: the server's FIN waits behind the bytes it has not read.
    slow.resume();
    await slow.ended;
    assert.ok(published < 1000, `cut after ${published} events`);
    const received = slow.records.filter((r) => String(r.message.data?.alert_id).startsWith('alert_slow_'));
    assert.ok(received.length < published, `${received.length} of ${published} read before the cut`);
    const back = await events('?types=alert', {
      authorization: `Bearer ${READ_KEY}`,
      'last-event-id': received.at(-1)?.id ?? String(ack.message.data.last_seq),
    });
    const outcome = await back.next((r) => r.event === 'resumed', 10_000);
    const missed = back.records.filter((r) => r.message.meta?.replay).map((r) => r.message.data.alert_id);
    assert.deepEqual(
      missed,
      Array.from({ length: published - received.length }, (_, i) => `alert_slow_${received.length + i}`),
      'exactly the events it did not read, in order',
    );
    assert.equal(outcome.message.data.gap, false);
    back.close();
  });

  test('at shutdown a stream gets service_stopping, then ends', async () => {
    const own = await startServer();
    const sse = await openSse(`${own.url}/api/v1/events?types=system`, { authorization: `Bearer ${ADMIN_KEY}` });
    await sse.next((r) => r.event === 'connection');
    const stopped = own.stop();
    const stopping = await sse.next((r) => r.event === 'system.service_stopping');
    assert.equal(stopping.message.data.event, 'service_stopping');
    await sse.ended;
    await stopped;
  });
});
