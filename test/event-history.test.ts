/** GET /api/v1/events/history (the event log read back, newest first, paged) and GET /api/v1/status (components as they are now), on a real server. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  ComponentStatusReply,
  ErrorCode,
  EventHistoryReply,
  MAX_EVENT_HISTORY_LIMIT,
  MAX_EVENT_HISTORY_SCAN,
} from '../src/protocol/index.js';
import { rest } from './support/rest.js';
import { READ_KEY, startServer, type TestServer } from './support/server.js';
import { connectAuthed, type Message, type TestClient } from './support/ws-client.js';

FormatRegistry.Set('date-time', (value) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value));

const history = async (server: TestServer, query: string, key?: string | null) => {
  const response = await rest(server, 'GET', `/api/v1/events/history${query}`, { key });
  if (response.status === 200)
    assert.ok(Value.Check(EventHistoryReply, response.body), JSON.stringify([...Value.Errors(EventHistoryReply, response.body)]));
  return response;
};

describe('event history', () => {
  let server: TestServer;
  let client: TestClient;
  /** The config events as a WebSocket client received them, oldest first. */
  const configEvents: Message[] = [];

  before(async () => {
    server = await startServer();
    ({ client } = await connectAuthed(server.wsUrl(), READ_KEY));
    for (const interval of [2, 3, 4, 5, 6]) {
      const patched = await rest(server, 'PATCH', '/api/v1/config', { body: { check_interval: interval } });
      assert.equal(patched.status, 200);
      configEvents.push(await client.next((m) => m.meta?.event === 'config.updated' && m.data.new_values.check_interval === interval));
    }
  });
  after(async () => {
    client.close();
    await server.stop();
  });

  test('pages back through the events a pattern matches, newest first, each exactly as a WebSocket client received it', async () => {
    const first = await history(server, '?events=config.*&limit=2');
    assert.equal(first.status, 200);
    const newest = [...configEvents].reverse();
    assert.deepEqual(first.body.events, newest.slice(0, 2));
    assert.equal(first.body.next_before, newest[1]!.meta!.seq);
    const second = await history(server, `?events=config.*&limit=2&before=${first.body.next_before}`);
    assert.deepEqual(second.body.events, newest.slice(2, 4));
    const rest_ = await history(server, `?events=config.*&limit=10&before=${second.body.next_before}`);
    assert.deepEqual(rest_.body.events, newest.slice(4));
    assert.equal(rest_.body.next_before, null, 'the log holds nothing older');
  });

  test('without events, every durable event: the start of the service is the oldest; epoch and last_seq as the acknowledgement has them', async () => {
    const { client: fresh, ack } = await connectAuthed(server.wsUrl(), READ_KEY);
    fresh.close();
    const page = await history(server, `?limit=${MAX_EVENT_HISTORY_LIMIT}`);
    assert.equal(page.body.epoch, ack.data.epoch);
    assert.equal(page.body.last_seq, ack.data.last_seq);
    const names = page.body.events.map((event: Message) => event.meta?.event);
    assert.equal(names.at(-1), 'system.service_start');
    const seqs = page.body.events.map((event: Message) => event.meta!.seq!);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => b - a),
      'newest first',
    );
    assert.equal(seqs[0], ack.data.last_seq);
  });

  test('a pattern that matches nothing recent reads back at most the scan bound, and its next_before goes on from there', async () => {
    const older = (await history(server, '?events=config.*&limit=1')).body.events[0];
    const fillers = MAX_EVENT_HISTORY_SCAN + 10;
    for (let i = 0; i < fillers; i++) server.app.publish('status.filler', { component: 'filler', status: `n${i}` });
    const last = (await client.next((m) => m.data?.status === `n${fillers - 1}`, 20_000)).meta!.seq!;
    const page = await history(server, '?events=config.*&limit=1');
    assert.deepEqual(page.body.events, [], 'none within the bound');
    assert.equal(page.body.next_before, last + 1 - MAX_EVENT_HISTORY_SCAN);
    const next = await history(server, `?events=config.*&limit=1&before=${page.body.next_before}`);
    assert.deepEqual(next.body.events, [older]);
  });

  test('events pruned from the log end the history there', async () => {
    await server.app.log.prune(Date.now() + 1);
    server.app.publish('status.filler', { component: 'filler', status: 'after pruning' });
    await client.next((m) => m.data?.status === 'after pruning', 10_000);
    const page = await history(server, '?limit=10');
    assert.deepEqual(
      page.body.events.map((event: Message) => event.data.status),
      ['after pruning'],
    );
    assert.equal(page.body.next_before, null);
  });

  test('refuses what it cannot read: no key, a bad pattern, limit or cursor', async () => {
    assert.equal((await history(server, '', null)).status, 401);
    assert.equal((await history(server, '', 'not-a-key')).status, 401);
    for (const [query, field] of [
      ['?events=alert..x', 'events'],
      ['?events=', 'events'],
      ['?limit=0', 'limit'],
      [`?limit=${MAX_EVENT_HISTORY_LIMIT + 1}`, 'limit'],
      ['?before=abc', 'before'],
      ['?before=-4', 'before'],
    ] as const) {
      const response = await history(server, query);
      assert.equal(response.status, 400, query);
      assert.equal(response.body.error.code, ErrorCode.INVALID_MESSAGE, query);
      assert.match(response.body.error.message, new RegExp(`^${field}: `), query);
    }
  });
});

describe('component status now', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  test("GET /api/v1/status answers each component's status as its own status() has it, for any key", async () => {
    const response = await rest(server, 'GET', '/api/v1/status', { key: READ_KEY });
    assert.equal(response.status, 200);
    assert.ok(Value.Check(ComponentStatusReply, response.body), JSON.stringify([...Value.Errors(ComponentStatusReply, response.body)]));
    const byName = Object.fromEntries(response.body.components.map((c: { component: string; status: string }) => [c.component, c.status]));
    assert.equal(byName.qbittorrent_client, 'not_configured');
    assert.equal(byName.clipboard_monitor, 'stopped', 'clipboard.enabled is false in tests');
    assert.equal((await rest(server, 'GET', '/api/v1/status', { key: null })).status, 401);
  });
});
