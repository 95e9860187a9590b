/**
 * The live table for a reader that falls behind: its pending `torrent.updated` deltas are merged field by
 * field, never dropped, so its table still ends equal to a fast reader's; past the hard limit it is
 * closed 4408, and its reconnection starts from a fresh `torrent.list` of the same table.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { CloseCode, type TorrentRow, type TorrentUpdated } from '../src/protocol/index.js';
import { READ_KEY, startServer, type TestServer } from './support/server.js';
import { connectAuthed, type Message, type TestClient } from './support/ws-client.js';

const HASHES = Array.from({ length: 40 }, (_, i) => i.toString(16).padStart(40, '0'));
const END = 'f'.repeat(40);
const pad = 'x'.repeat(4 * 1024);

function pauseReading(client: TestClient): Socket {
  const socket = (client.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  return socket;
}

function row(hash: string, n: number): TorrentRow {
  return {
    hash,
    name: `torrent ${hash.slice(-2)}`,
    state: 'downloading',
    progress: 0,
    size: 1000,
    category: '',
    tags: [],
    save_path: '/srv',
    added_on: '2024-01-01T00:00:00.000Z',
    completion_on: null,
    source: 'qbittorrent',
    dl_speed: n,
    up_speed: 0,
    eta: null,
    ratio: 0,
    num_seeds: 0,
    num_leechs: 0,
  };
}

/**
 * The n-th delta of a busy table: a few rows move, with a large field so that the socket fills; every
 * seventh removes a torrent, which the next one adds back whole.
 */
function delta(n: number): TorrentUpdated {
  const hash = HASHES[n % HASHES.length]!;
  if (n % 7 === 0) return { changed: {}, removed: [hash] };
  if ((n - 1) % 7 === 0) return { changed: { [HASHES[(n - 1) % HASHES.length]!]: row(HASHES[(n - 1) % HASHES.length]!, n) }, removed: [] };
  return { changed: { [hash]: { progress: n / 10_000, dl_speed: n, name: `torrent ${n} ${pad}` } }, removed: [] };
}

function tableOf(messages: readonly Message[]): Map<string, Record<string, unknown>> {
  let table = new Map<string, Record<string, unknown>>();
  for (const message of messages) {
    if (message.meta?.event === 'torrent.list') table = new Map(message.data.torrents.map((r: any) => [r.hash, { ...r }]));
    if (message.meta?.event !== 'torrent.updated') continue;
    for (const hash of message.data.removed) table.delete(hash);
    for (const [hash, fields] of Object.entries(message.data.changed)) table.set(hash, { ...table.get(hash), ...(fields as object) });
  }
  return table;
}

async function seed(server: TestServer, fast: TestClient): Promise<void> {
  server.app.publish('torrent.updated', { changed: Object.fromEntries(HASHES.map((hash) => [hash, row(hash, 0)])), removed: [] });
  await fast.next((m) => m.meta?.event === 'torrent.updated');
}

describe('torrent.updated for a slow reader', () => {
  test('pending deltas are merged, not dropped: the slow table ends equal to the fast one', async () => {
    const server = await startServer({ server: { send_buffer_soft_bytes: 16 * 1024, send_buffer_hard_bytes: 512 * 1024 * 1024 } });
    try {
      const fast = await connectAuthed(server.wsUrl('/ws/torrents'), READ_KEY);
      const slow = await connectAuthed(server.wsUrl('/ws/torrents'), READ_KEY);
      await seed(server, fast.client);
      const socket = pauseReading(slow.client);
      const total = 3000; // 12 MB of deltas: far more than loopback's socket buffers hold
      for (let n = 1; n <= total; n += 1) {
        server.app.publish('torrent.updated', delta(n));
        // At the pace the fast reader reads (4 deltas, then wait for them), as a live feed would.
        if (n % 4 === 0) for (let i = 0; i < 4; i += 1) await fast.client.next((m) => m.meta?.event === 'torrent.updated');
      }
      server.app.publish('torrent.updated', { changed: { [END]: row(END, total) }, removed: [] });
      await fast.client.next((m) => m.data?.changed?.[END] !== undefined, 5000);
      assert.ok(server.app.ws.stats.conflated > 0, 'some deltas to the slow reader were merged');

      socket.resume();
      await slow.client.next((m) => m.data?.changed?.[END] !== undefined, 15_000);
      const slowDeltas = slow.client.received.filter((m) => m.meta?.event === 'torrent.updated').length;
      const fastDeltas = fast.client.received.filter((m) => m.meta?.event === 'torrent.updated').length;
      assert.equal(fastDeltas, total + 2, 'the fast reader got every delta');
      assert.ok(slowDeltas < fastDeltas, `merged: ${slowDeltas} messages for ${fastDeltas}`);
      assert.deepEqual(tableOf(slow.client.received), tableOf(fast.client.received));
      slow.client.close();
      fast.client.close();
    } finally {
      await server.stop();
    }
  });

  test('past the hard limit the reader is closed 4408; reconnecting, it gets the table anew', async () => {
    const server = await startServer({ server: { send_buffer_soft_bytes: 16 * 1024, send_buffer_hard_bytes: 256 * 1024 } });
    try {
      const slow = await connectAuthed(server.wsUrl('/ws/torrents'), READ_KEY);
      const published: Message[] = [];
      const publish = (data: TorrentUpdated) => {
        server.app.publish('torrent.updated', data);
        published.push({ type: 'torrent', id: '', timestamp: '', data, meta: { event: 'torrent.updated' } });
      };
      publish({ changed: Object.fromEntries(HASHES.map((hash) => [hash, row(hash, 0)])), removed: [] });
      const socket = pauseReading(slow.client);
      const deadline = Date.now() + 20_000;
      let n = 0;
      // Merged deltas stay small; durable lifecycle events between them fill the socket until the server gives up.
      while (server.app.ws.stats.slowConsumerCloses === 0 && Date.now() < deadline && n < 20_000) {
        n += 1;
        publish(delta(n));
        server.app.publish('torrent.stalled', { ...row(HASHES[n % HASHES.length]!, n), name: pad });
        if (n % 50 === 0) await server.app.bus.flush();
      }
      assert.equal(server.app.ws.stats.slowConsumerCloses, 1, `closed after ${n} rounds`);
      socket.resume();
      assert.equal((await slow.client.waitClosed(15_000)).code, CloseCode.SLOW_CONSUMER);
      await server.app.bus.flush();
      const back = await connectAuthed(server.wsUrl('/ws/torrents', { since: 0 }), READ_KEY);
      const list = await back.client.next((m) => m.meta?.event === 'torrent.list');
      assert.equal(list.meta?.snapshot, true);
      assert.deepEqual(tableOf([list]), tableOf(published));
      back.client.close();
    } finally {
      await server.stop();
    }
  });
});
