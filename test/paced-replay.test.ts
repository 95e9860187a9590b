/** A resumption's replay larger than the send buffer's hard limit goes out at the reader's pace: all of it once, in order, with live events behind it; a paused reader is still cut. */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CloseCode } from '../src/protocol/index.js';
import { loose } from './support/loose.js';
import { READ_KEY, startServer, type TestServer } from './support/server.js';
import { openSse, type SseRecord } from './support/sse-client.js';
import { waitUntil } from './support/wait.js';
import { connectAuthed, type Message, type TestClient } from './support/ws-client.js';

const HARD = 256 * 1024;
const BACKLOG = 1000;
const LIVE = 100;
/** 1000 events of 8 KB: 8 MB, 32 times the hard limit and more than loopback's socket buffers take at once. */
const pad = 'x'.repeat(8 * 1024);

function socketOf(client: TestClient): Socket {
  return (client.ws as unknown as { _socket: Socket })._socket;
}

/** Publishes `count` durable events numbered from `from` and waits until they are in the log. */
async function publishBacklog(server: TestServer, run: string, from: number, count: number, padding = pad): Promise<void> {
  for (let n = from; n < from + count; n += 1)
    server.app.publish('status.paced', loose({ component: run, status: 'running', n, pad: padding }));
  await server.app.bus.flush();
}

/** The `n`s of the run's events received, and whether their seqs only ever increase. */
function runOf(messages: Message[], run: string): { ns: number[]; seqs: number[] } {
  const mine = messages.filter((m) => m.type === 'status' && m.data?.component === run);
  return { ns: mine.map((m) => m.data.n), seqs: mine.map((m) => m.meta!.seq!) };
}

const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('paced replay', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({
      server: {
        send_buffer_soft_bytes: 64 * 1024,
        send_buffer_hard_bytes: HARD,
        heartbeat_interval_ms: 60_000,
        heartbeat_timeout_ms: 1000,
      },
    });
  });
  after(() => server.stop());

  test('WebSocket: 8 MB of backlog at a 256 KB hard limit arrives whole, once, in seq order, live events after it', async () => {
    const since = server.app.hub.lastSeq;
    await publishBacklog(server, 'ws', 1, BACKLOG);
    const cutsBefore = server.app.ws.stats.slowConsumerCloses;
    const { client } = await connectAuthed(server.wsUrl('/ws', { since, epoch: server.app.hub.epoch }), READ_KEY);
    // Live events published while the replay is under way wait behind it.
    await client.next((m) => m.meta?.replay === true, 15_000);
    await publishBacklog(server, 'ws', BACKLOG + 1, LIVE, 'live');
    const resumed = await client.next('resumed', 30_000);
    await client.next((m) => m.data?.component === 'ws' && m.data.n === BACKLOG + LIVE, 15_000);
    assert.deepEqual([resumed.data.gap, resumed.data.replayed], [false, BACKLOG]);
    const { ns, seqs } = runOf(client.received, 'ws');
    assert.deepEqual(ns, oneToN(BACKLOG + LIVE), 'every event exactly once, in order');
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );
    // The torrent table (`torrent.list`, a snapshot) precedes a resumption's replay by design.
    assert.ok(
      client.received
        .filter((m) => !m.meta?.snapshot)
        .slice(0, BACKLOG + 1)
        .every((m) => m.type === 'connection' || m.meta?.replay),
      'the replay came first, whole',
    );
    assert.equal(server.app.ws.stats.slowConsumerCloses, cutsBefore, 'never cut');
    client.close();
  });

  test('WebSocket: a reader paused at the TCP level during a replay is still closed 4408, and the rest is replayed when it resumes', async () => {
    const since = server.app.hub.lastSeq;
    await publishBacklog(server, 'ws-paused', 1, BACKLOG);
    const cutsBefore = server.app.ws.stats.slowConsumerCloses;
    const sentBefore = server.app.ws.stats.sent;
    const { client } = await connectAuthed(server.wsUrl('/ws', { since }), READ_KEY);
    const socket = socketOf(client);
    socket.pause();
    await waitUntil(() => server.app.ws.stats.slowConsumerCloses > cutsBefore, 15_000, 'the paused reader cut');
    assert.ok(server.app.ws.stats.sent - sentBefore < BACKLOG / 2, 'the replay was not written into the buffers ahead of the reader');
    socket.resume();
    assert.equal((await client.waitClosed(15_000)).code, CloseCode.SLOW_CONSUMER);
    const first = runOf(client.received, 'ws-paused');
    const back = await connectAuthed(server.wsUrl('/ws', { since: first.seqs.at(-1) ?? since }), READ_KEY);
    await back.client.next('resumed', 30_000);
    const rest = runOf(back.client.received, 'ws-paused');
    assert.deepEqual([...first.ns, ...rest.ns], oneToN(BACKLOG), 'the two together: every event once');
    back.client.close();
  });

  test('SSE: the same backlog arrives whole, once, in order, with live events after it', async () => {
    const since = server.app.hub.lastSeq;
    await publishBacklog(server, 'sse', 1, BACKLOG);
    const cutsBefore = server.app.sse.stats.slowConsumerCloses;
    const stream = await openSse(`${server.url}/api/v1/events?types=status&since=${since}`, { authorization: `Bearer ${READ_KEY}` });
    await stream.next((r) => r.message.meta?.replay === true, 15_000);
    await publishBacklog(server, 'sse', BACKLOG + 1, LIVE, 'live');
    const resumed = await stream.next((r) => r.event === 'resumed', 30_000);
    // The held live events go out before `resumed` or, if they came after the replay was written, after it.
    const lastLive = (r: SseRecord) => r.message.data?.component === 'sse' && r.message.data.n === BACKLOG + LIVE;
    if (!stream.records.some(lastLive)) await stream.next(lastLive, 15_000);
    assert.deepEqual([resumed.message.data.gap, resumed.message.data.replayed], [false, BACKLOG]);
    const { ns, seqs } = runOf(
      stream.records.map((r) => r.message),
      'sse',
    );
    assert.deepEqual(ns, oneToN(BACKLOG + LIVE), 'every event exactly once, in order');
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );
    assert.equal(server.app.sse.stats.slowConsumerCloses, cutsBefore, 'never cut');
    stream.close();
  });

  test('SSE: a paused reader during a replay is cut, and resumes the rest from its Last-Event-ID', async () => {
    const since = server.app.hub.lastSeq;
    await publishBacklog(server, 'sse-paused', 1, BACKLOG);
    const cutsBefore = server.app.sse.stats.slowConsumerCloses;
    const stream = await openSse(`${server.url}/api/v1/events?types=status&since=${since}`, { authorization: `Bearer ${READ_KEY}` });
    stream.pause();
    await waitUntil(() => server.app.sse.stats.slowConsumerCloses > cutsBefore, 15_000, 'the paused stream cut');
    stream.resume();
    await stream.ended;
    const first = runOf(
      stream.records.map((r) => r.message),
      'sse-paused',
    );
    assert.ok(first.ns.length < BACKLOG, `${first.ns.length} of ${BACKLOG} before the cut`);
    const back = await openSse(`${server.url}/api/v1/events?types=status`, {
      authorization: `Bearer ${READ_KEY}`,
      'last-event-id': String(first.seqs.at(-1) ?? since),
    });
    await back.next((r) => r.event === 'resumed', 30_000);
    const rest = runOf(
      back.records.map((r) => r.message),
      'sse-paused',
    );
    assert.deepEqual([...first.ns, ...rest.ns], oneToN(BACKLOG), 'the two together: every event once');
    back.close();
  });
});

describe('paced replay: live events behind it', () => {
  test('count toward the hard limit: a paused reader is closed 4408 by them, long before the replay is given up on', async () => {
    // The replay waits up to heartbeat_timeout_ms (30 s here) for a reader that takes nothing.
    const server = await startServer({
      server: {
        send_buffer_soft_bytes: 64 * 1024,
        send_buffer_hard_bytes: HARD,
        heartbeat_interval_ms: 60_000,
        heartbeat_timeout_ms: 30_000,
      },
    });
    try {
      const since = server.app.hub.lastSeq;
      await publishBacklog(server, 'held', 1, BACKLOG);
      const { client } = await connectAuthed(server.wsUrl('/ws', { since }), READ_KEY);
      const socket = socketOf(client);
      socket.pause();
      const started = Date.now();
      let live = 0;
      while (server.app.ws.stats.slowConsumerCloses === 0 && live < 200) {
        live += 1;
        await publishBacklog(server, 'held', BACKLOG + live, 1);
      }
      assert.equal(server.app.ws.stats.slowConsumerCloses, 1, `not closed after ${live} live events of 8 KB`);
      assert.ok(live * pad.length <= HARD + pad.length, `closed after ${live} live events: no more than the hard limit waited`);
      assert.ok(Date.now() - started < 15_000, 'closed by the bound, not by the stalled replay');
      socket.resume();
      assert.equal((await client.waitClosed(15_000)).code, CloseCode.SLOW_CONSUMER);
    } finally {
      await server.stop();
    }
  });
});
