/**
 * Coalesced socket writes: the frames due to one socket in one turn leave in one write system call,
 * in order; a lone frame reaches the kernel before the turn ends; the slow-reader bound still counts every byte.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { CloseCode } from '../src/protocol/index.js';
import { loose } from './support/loose.js';
import { READ_KEY, startServer, type TestServer } from './support/server.js';
import { connectAuthed, type TestClient } from './support/ws-client.js';

// Linux counts a process's write system calls (write, writev, sendmsg...) in /proc/self/io.
const IO = '/proc/self/io';
const skip = existsSync(IO) ? false : 'needs /proc/self/io (Linux) to count write system calls';

function writeSyscalls(): number {
  return Number(/syscw: (\d+)/.exec(readFileSync(IO, 'utf8'))?.[1]);
}

/**
 * Runs `publish` (synchronous) and counts the write system calls of this process from just before it
 * until the end of the turn's ticks: a tick queued after every frame was sent runs after the writer's
 * flush (ticks run in order), and before any timer, I/O callback or `setImmediate` of the next phases.
 */
function writesOfOneTurn(publish: () => void): Promise<number> {
  const before = writeSyscalls();
  publish();
  return new Promise((resolve) => process.nextTick(() => resolve(writeSyscalls() - before)));
}

function publishMetrics(server: TestServer, from: number, count: number): void {
  for (let n = from; n < from + count; n += 1) {
    server.app.publish(`performance.coalesce_${n}`, {
      metric_name: `coalesce_${n}`,
      value: n,
      unit: 'count',
      category: 'custom',
      tags: {},
    });
  }
}

const valuesOf = (client: TestClient) =>
  client.received
    .filter((m) => m.type === 'performance' && !m.meta?.snapshot && m.data?.metric_name?.startsWith('coalesce_'))
    .map((m) => m.data.value);

describe('coalesced socket writes', { skip }, () => {
  test('the frames of one turn leave in one write per socket, in order', async () => {
    const server = await startServer();
    try {
      const a = await connectAuthed(server.wsUrl('/ws/performance'), READ_KEY);
      const b = await connectAuthed(server.wsUrl('/ws/performance'), READ_KEY);
      const writes = await writesOfOneTurn(() => publishMetrics(server, 1, 20));
      // 20 frames to each of two sockets: one writev each (one frame per write would be 40).
      assert.equal(writes, 2, 'one write system call per socket for the whole turn');
      for (const { client } of [a, b]) {
        await client.next((m) => m.data?.value === 20);
        assert.deepEqual(
          valuesOf(client),
          Array.from({ length: 20 }, (_, i) => i + 1),
          'every frame, in the order published',
        );
        client.close();
      }
    } finally {
      await server.stop();
    }
  });

  test('a lone frame reaches the kernel within the turn that sent it', async () => {
    const server = await startServer();
    try {
      const { client } = await connectAuthed(server.wsUrl('/ws/performance'), READ_KEY);
      // Nothing else is due: were the frame held for a timer or a later phase, no write would have happened yet.
      assert.equal(await writesOfOneTurn(() => publishMetrics(server, 1, 1)), 1);
      await client.next((m) => m.data?.value === 1);
      // And a reply sent alone in its turn goes out the same way.
      const pong = client.request({ type: 'ping' });
      assert.equal((await pong).type, 'pong');
      client.close();
    } finally {
      await server.stop();
    }
  });

  test('a turn larger than the batch is written in several calls, none of them waiting', async () => {
    const server = await startServer({ server: { send_buffer_soft_bytes: 16 * 1024, send_buffer_hard_bytes: 64 * 1024 * 1024 } });
    try {
      const { client } = await connectAuthed(server.wsUrl('/ws/performance'), READ_KEY);
      const pad = 'x'.repeat(1024);
      // About 100 KB in one turn against a 16 KB batch: at least 6 writes, far fewer than the 100 frames.
      const writes = await writesOfOneTurn(() => {
        for (let n = 1; n <= 100; n += 1) server.app.publish('performance.system', loose({ n, pad }));
      });
      assert.ok(writes >= 6 && writes < 20, `${writes} writes for 100 frames of 1 KB in batches of 16 KB`);
      await client.next((m) => m.data?.n === 100);
      const ns = client.received.filter((m) => m.type === 'performance' && !m.meta?.snapshot).map((m) => m.data.n);
      assert.deepEqual(
        ns,
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      client.close();
    } finally {
      await server.stop();
    }
  });

  test('bursts to a reader that stopped reading still meet the bound: closed 4408, nothing durable lost', async () => {
    const server = await startServer({ server: { send_buffer_soft_bytes: 16 * 1024, send_buffer_hard_bytes: 256 * 1024 } });
    try {
      const { client, ack } = await connectAuthed(server.wsUrl(), READ_KEY);
      const socket = (client.ws as unknown as { _socket: Socket })._socket;
      socket.pause();
      const pad = 'x'.repeat(8 * 1024);
      let published = 0;
      // Bursts of 32 durable events (256 KB) per synchronous run, until the bound closes the reader.
      while (server.app.ws.stats.slowConsumerCloses === 0 && published < 8_000) {
        for (let i = 0; i < 32; i += 1) {
          published += 1;
          server.app.publish('status.flood', loose({ component: 'flood', status: 'running', n: published, pad }));
        }
        await server.app.bus.flush();
      }
      assert.equal(server.app.ws.stats.slowConsumerCloses, 1, `closed after ${published} events`);
      socket.resume();
      assert.equal((await client.waitClosed(15_000)).code, CloseCode.SLOW_CONSUMER);
      const seen = client.received.filter((m) => m.data?.component === 'flood').map((m) => m.data.n);
      assert.deepEqual(
        seen,
        Array.from({ length: seen.length }, (_, i) => i + 1),
        'what arrived before the close is a prefix, in order',
      );
      const lastSeq = client.received.filter((m) => m.data?.component === 'flood').at(-1)?.meta?.seq ?? ack.data.last_seq;
      const back = await connectAuthed(server.wsUrl('/ws', { since: lastSeq }), READ_KEY);
      await back.client.next('resumed', 15_000);
      const replayed = back.client.received.filter((m) => m.data?.component === 'flood').map((m) => m.data.n);
      assert.deepEqual(
        replayed,
        Array.from({ length: published - seen.length }, (_, i) => seen.length + i + 1),
        'the rest comes back on resumption',
      );
      back.client.close();
    } finally {
      await server.stop();
    }
  });
});
