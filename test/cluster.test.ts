/** Two real servers on one Redis: events cross nodes with their node, a client resumes on the other node, and a Redis outage. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClusterState, RedisBus } from '../src/hub/redis/redis-bus.js';
import { redisSkipReason, type RedisServer, startRedis } from './support/redis.js';
import { READ_KEY, startServer, type TestServer } from './support/server.js';
import { connectAuthed, type Message, withTimeout } from './support/ws-client.js';

const resumeEvent = (n: number) => ({ component: 'resume', status: 'running', n });
const isResume = (n: number) => (m: Message) => m.type === 'status' && m.data.component === 'resume' && m.data.n === n;

/** Resolves once the node's link to Redis is in `state`. */
function reaches(server: TestServer, state: ClusterState): Promise<void> {
  const bus = server.app.bus as RedisBus;
  if (bus.health().state === state) return Promise.resolve();
  return withTimeout(
    new Promise<void>((resolve) => {
      const stop = bus.onStateChange(({ to }) => {
        if (to !== state) return;
        stop();
        resolve();
      });
    }),
    5000,
    `node ${bus.health().node} not ${state}`,
  );
}

async function health(server: TestServer): Promise<{ status: string; cluster: { node: string; state: string; queued_events: number } }> {
  return (await fetch(`${server.url}/healthz`)).json() as never;
}

describe('cluster: two servers on one Redis', { skip: redisSkipReason() }, () => {
  let redis: RedisServer;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    redis = await startRedis();
    const node = (node_id: string) => startServer({ cluster: { redis_url: redis.url, node_id } });
    [a, b] = await Promise.all([node('A'), node('B')]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  test('a subscriber on B receives what is published on A, with meta.node = A', async () => {
    const { client } = await connectAuthed(b.wsUrl(), READ_KEY);
    a.app.publish('alert.cpu', { alert_id: 'cluster-cpu', type: 'cpu', level: 'warning', status: 'active' });
    a.app.publish('performance.system', { cpu_percent: 12.5, marker: 'from-a' });
    const alert = await client.next((m) => m.type === 'alert' && m.data.alert_id === 'cluster-cpu');
    const sample = await client.next((m) => m.type === 'performance' && m.data.marker === 'from-a');
    assert.equal(alert.meta?.node, 'A');
    assert.ok(Number.isInteger(alert.meta?.seq));
    assert.equal(sample.meta?.node, 'A');
    assert.equal(sample.meta?.seq, undefined);
    client.close();
  });

  test('a client that saw seq N on A reconnects to B with ?since=N and gets exactly the missed events', async () => {
    const { client } = await connectAuthed(a.wsUrl(), READ_KEY);
    a.app.publish('status.resume', resumeEvent(0));
    const seen = await client.next(isResume(0));
    client.close();
    await client.waitClosed();
    // Missed while away, published on both nodes.
    for (let n = 1; n <= 6; n += 1) (n % 2 === 1 ? a : b).app.publish('status.resume', resumeEvent(n));
    await Promise.all([a.app.bus.flush(), b.app.bus.flush()]);

    const back = await connectAuthed(b.wsUrl('/ws', { since: seen.meta!.seq! }), READ_KEY);
    const resumed = await back.client.next('resumed');
    assert.equal(resumed.data.gap, false);
    a.app.publish('status.resume', resumeEvent(7));
    await back.client.next(isResume(7));
    const got = back.client.received.filter((m) => m.type === 'status' && m.data.component === 'resume');
    const logged = await b.app.log.readSince(seen.meta!.seq!, 1000);
    const missed = logged.gap ? [] : logged.events.filter((event) => event.data.component === 'resume');
    assert.deepEqual(got.map((m) => [m.meta!.seq!, m.id]), missed.map((e) => [e.seq!, e.id]), 'exactly the logged events after N, once, in seq order');
    assert.deepEqual(got.map((m) => m.data.n).sort(), [1, 2, 3, 4, 5, 6, 7]);
    for (const node of ['A', 'B']) {
      const own = got.filter((m) => m.meta?.node === node).map((m) => m.data.n);
      assert.deepEqual(own, [...own].sort(), `${node}'s events in its publishing order`);
    }
    back.client.close();
  });

  test('Redis stopped: /healthz says degraded, local clients are served, a resumption gets a snapshot; Redis back: what waited reaches the other node', async () => {
    const { client: onA } = await connectAuthed(a.wsUrl(), READ_KEY);
    const { client: onB } = await connectAuthed(b.wsUrl(), READ_KEY);
    a.app.publish('status.resume', resumeEvent(10));
    const seen = await onA.next(isResume(10));

    await redis.stop({ keepData: true });
    await Promise.all([reaches(a, 'degraded'), reaches(b, 'degraded')]);
    const degraded = await health(a);
    assert.equal(degraded.status, 'degraded');
    assert.deepEqual([degraded.cluster.node, degraded.cluster.state], ['A', 'degraded']);

    a.app.publish('performance.system', { cpu_percent: 1, marker: 'outage' });
    await onA.next((m) => m.type === 'performance' && m.data.marker === 'outage');
    a.app.publish('status.resume', resumeEvent(11));
    assert.equal((await health(a)).cluster.queued_events, 1);
    const resuming = await connectAuthed(a.wsUrl('/ws', { since: seen.meta!.seq! }), READ_KEY);
    const resumed = await resuming.client.next('resumed');
    assert.equal(resumed.data.gap, true, 'the log is out of reach: told so');
    assert.ok(resuming.client.received.some((m) => m.meta?.snapshot), 'and sent a snapshot');

    await redis.restart();
    await Promise.all([reaches(a, 'live'), reaches(b, 'live')]);
    const late = await onB.next(isResume(11));
    assert.ok(late.meta!.seq! > seen.meta!.seq!, 'numbered when Redis took it');
    assert.equal((await onA.next(isResume(11))).meta?.seq, late.meta?.seq, 'the same event, the same seq, on both nodes');
    assert.equal((await health(a)).status, 'ok');
    for (const client of [onA, onB, resuming.client]) client.close();
  });
});
