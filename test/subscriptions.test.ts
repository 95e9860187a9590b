/** Subscriptions over real sockets: defaults, narrowing, wildcards, filters, unsubscribe, endpoint limits. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCode } from '../src/protocol/index.js';
import { READ_KEY, startServer, type TestServer } from './support/server.js';
import { connectAuthed, type Message, type TestClient } from './support/ws-client.js';
import { loose } from './support/loose.js';

const cpuAlert = (level: string, alertId = `alert_${level}_${Math.random()}`) =>
  loose({
    alert_id: alertId,
    type: 'cpu',
    level,
    title: 't',
    message: 'm',
    value: 90,
    threshold: 80,
    status: 'active',
    metadata: { affected_processes: [], suggestion: 's' },
  });

describe('subscriptions', () => {
  let server: TestServer;
  let sentinelCount = 0;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  /** Publishes a system event every /ws client receives, and returns the events (not snapshots) that arrived before it, in order. */
  async function receivedBeforeSentinel(client: TestClient): Promise<Message[]> {
    sentinelCount += 1;
    const marker = `sentinel-${sentinelCount}`;
    server.app.publish('system.test_sentinel', loose({ event: 'test_sentinel', service: 'test', marker }));
    const sentinel = await client.next((m) => m.data?.marker === marker);
    const index = client.received.indexOf(sentinel);
    const events = ['performance', 'alert', 'status', 'config', 'system'];
    return client.received.slice(0, index).filter((m) => events.includes(m.type) && !m.meta?.snapshot);
  }

  async function freshClient(path = '/ws'): Promise<TestClient> {
    const { client } = await connectAuthed(server.wsUrl(path), READ_KEY);
    return client;
  }

  test('a new connection receives every type its endpoint allows', async () => {
    const client = await freshClient();
    server.app.publish('performance.system', loose({ cpu_percent: 1 }));
    server.app.publish('alert.memory', cpuAlert('warning'));
    server.app.publish('status.clipboard_monitor', loose({ component: 'clipboard_monitor', status: 'running' }));
    server.app.publish('config.updated', loose({ action: 'updated', fields: [] }));
    const types = (await receivedBeforeSentinel(client)).map((m) => m.type);
    assert.deepEqual(types, ['performance', 'alert', 'status', 'config']);
    client.close();
  });

  test('the source document example: alert.cpu with a level filter narrows alerts only', async () => {
    const client = await freshClient();
    const reply = await client.request({ type: 'subscribe', data: { events: ['alert.cpu'], filters: { level: ['warning', 'critical'] } } });
    assert.equal(reply.type, 'subscribed');
    assert.deepEqual(reply.data.events, ['alert.cpu']);
    assert.deepEqual(reply.data.subscriptions, [{ pattern: 'alert.cpu', filters: { level: ['warning', 'critical'] } }]);
    assert.deepEqual(reply.data.unfiltered_types, ['performance', 'status', 'config', 'system', 'torrent']);

    server.app.publish('alert.cpu', cpuAlert('info', 'a-info'));
    server.app.publish('alert.cpu', cpuAlert('warning', 'a-warning'));
    server.app.publish('alert.memory', { ...cpuAlert('critical', 'a-memory'), type: 'memory' });
    server.app.publish('alert.cpu', cpuAlert('critical', 'a-critical'));
    server.app.publish('performance.system', loose({ cpu_percent: 2 }));
    const got = await receivedBeforeSentinel(client);
    assert.deepEqual(
      got.filter((m) => m.type === 'alert').map((m) => m.data.alert_id),
      ['a-warning', 'a-critical'],
    );
    assert.ok(
      got.some((m) => m.type === 'performance' && m.data.cpu_percent === 2),
      'performance keeps flowing',
    );
    client.close();
  });

  test('a type narrowed by several subscriptions receives the union', async () => {
    const client = await freshClient();
    await client.request({ type: 'subscribe', data: { events: ['alert.cpu'], filters: { level: 'critical' } } });
    await client.request({ type: 'subscribe', data: { events: ['alert.disk'] } });
    server.app.publish('alert.cpu', cpuAlert('warning', 'cpu-w'));
    server.app.publish('alert.cpu', cpuAlert('critical', 'cpu-c'));
    server.app.publish('alert.disk', { ...cpuAlert('info', 'disk-i'), type: 'disk' });
    const ids = (await receivedBeforeSentinel(client)).filter((m) => m.type === 'alert').map((m) => m.data.alert_id);
    assert.deepEqual(ids, ['cpu-c', 'disk-i']);
    client.close();
  });

  test('dotted filter paths reach nested fields (tags.endpoint)', async () => {
    const client = await freshClient();
    await client.request({
      type: 'subscribe',
      data: { events: ['performance.api_response_time'], filters: { 'tags.endpoint': '/api/v1/config' } },
    });
    const metric = (endpoint: string) => ({
      metric_name: 'api_response_time',
      value: 3,
      unit: 'ms',
      category: 'performance',
      tags: { endpoint, method: 'GET' },
    });
    server.app.publish('performance.api_response_time', metric('/api/v1/alerts'));
    server.app.publish('performance.api_response_time', metric('/api/v1/config'));
    server.app.publish('performance.system', loose({ cpu_percent: 3 }));
    const got = (await receivedBeforeSentinel(client)).filter((m) => m.type === 'performance');
    assert.deepEqual(
      got.map((m) => m.data.tags?.endpoint),
      ['/api/v1/config'],
      'system samples are another subtype: narrowed away',
    );
    client.close();
  });

  test('<type>, <type>.* and * subscribe to whole types', async () => {
    for (const pattern of ['status', 'status.*', '*']) {
      const client = await freshClient();
      await client.request({ type: 'subscribe', data: { events: [pattern] } });
      server.app.publish('status.a', { component: 'a', status: 'x' });
      server.app.publish('status.b', { component: 'b', status: 'y' });
      const statuses = (await receivedBeforeSentinel(client)).filter((m) => m.type === 'status');
      assert.deepEqual(
        statuses.map((m) => m.data.component),
        ['a', 'b'],
        pattern,
      );
      client.close();
    }
  });

  test('unsubscribe removes a pattern and does not bring the default back; <type>.* does', async () => {
    const client = await freshClient();
    await client.request({ type: 'subscribe', data: { events: ['alert.cpu'] } });
    const reply = await client.request({ type: 'unsubscribe', data: { events: ['alert.cpu'] } });
    assert.equal(reply.type, 'unsubscribed');
    assert.deepEqual(reply.data.subscriptions, []);
    assert.ok(!reply.data.unfiltered_types.includes('alert'));
    server.app.publish('alert.cpu', cpuAlert('critical', 'gone'));
    assert.equal((await receivedBeforeSentinel(client)).filter((m) => m.type === 'alert').length, 0);
    await client.request({ type: 'subscribe', data: { events: ['alert.*'] } });
    server.app.publish('alert.memory', { ...cpuAlert('info', 'back'), type: 'memory' });
    const alerts = (await receivedBeforeSentinel(client)).filter((m) => m.type === 'alert');
    assert.deepEqual(
      alerts.map((m) => m.data.alert_id),
      ['back'],
    );
    client.close();
  });

  test('unsubscribing a whole type stops it without subscribing first', async () => {
    const client = await freshClient();
    await client.request({ type: 'unsubscribe', data: { events: ['performance'] } });
    server.app.publish('performance.system', loose({ cpu_percent: 9 }));
    server.app.publish('status.c', { component: 'c', status: 'ok' });
    const got = await receivedBeforeSentinel(client);
    assert.deepEqual(
      got.map((m) => m.type),
      ['status'],
    );
    client.close();
  });

  test('a type outside the endpoint is INVALID_SUBSCRIPTION and changes nothing', async () => {
    const client = await freshClient('/ws/alerts');
    const reply = await client.request({ type: 'subscribe', data: { events: ['alert.cpu', 'performance.system'] } });
    assert.equal(reply.type, 'error');
    assert.equal(reply.data.code, ErrorCode.INVALID_SUBSCRIPTION);
    assert.match(reply.data.message, /performance/);
    server.app.publish('alert.memory', { ...cpuAlert('info', 'still-all'), type: 'memory' });
    assert.equal((await client.next((m) => m.type === 'alert' && !m.meta?.snapshot)).data.alert_id, 'still-all');
    client.close();
  });

  test('invalid patterns and filter keys are INVALID_SUBSCRIPTION', async () => {
    const client = await freshClient();
    for (const data of [{ events: ['nonsense'] }, { events: ['alert.'] }, { events: ['alert.cpu'], filters: { 'a..b': 1 } }]) {
      const reply = await client.request({ type: 'subscribe', data });
      assert.equal(reply.data.code, ErrorCode.INVALID_SUBSCRIPTION, JSON.stringify(data));
    }
    client.close();
  });

  test('specialised endpoints deliver only their type', async () => {
    const perf = await freshClient('/ws/performance');
    const status = await freshClient('/ws/status');
    server.app.publish('alert.cpu', cpuAlert('critical'));
    server.app.publish('status.only', { component: 'only', status: 'ok' });
    server.app.publish('performance.system', loose({ cpu_percent: 42 }));
    const p = await perf.next((m) => m.type === 'performance' && m.data.cpu_percent === 42);
    const s = await status.next((m) => m.type === 'status' && m.data.component === 'only');
    assert.ok(perf.received.slice(0, perf.received.indexOf(p)).every((m) => ['connection', 'performance'].includes(m.type)));
    assert.ok(status.received.slice(0, status.received.indexOf(s)).every((m) => ['connection', 'status'].includes(m.type)));
    perf.close();
    status.close();
  });
});
