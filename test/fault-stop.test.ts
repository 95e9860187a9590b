/**
 * Fault suite, stopping: SIGTERM always ends `serve`. A request whose body stopped coming is cut once
 * the grace is over; a stop stuck on a peer that stopped answering (a frozen Redis) ends the process
 * past the grace and a margin, saying which step did not finish.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { ExitCode } from '../src/cli/exit-codes.js';
import { STOP_MARGIN_MS } from '../src/cli/serve.js';
import { redisSkipReason, startRedis } from './support/redis.js';
import { ADMIN_KEY } from './support/server.js';
import { newDataDir, runService, type ServiceProcess, writeConfig } from './support/service-process.js';
import { connectAuthed, withTimeout } from './support/ws-client.js';

const GRACE_MS = 300;
const keys = { api_keys: [{ name: 'ops', key: ADMIN_KEY, role: 'admin' }] };

/** Starts `serve` on a fresh data directory with this config; `use` runs with it, and whatever happens the process is gone after. */
async function withService(config: object, use: (service: ServiceProcess) => Promise<void>): Promise<void> {
  const dataDir = newDataDir();
  writeConfig(dataDir, { server: { shutdown_grace_ms: GRACE_MS }, auth: keys, ...config });
  const service = await runService(['--data-dir', dataDir]);
  try {
    await use(service);
  } finally {
    if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    await withTimeout(service.exited, 5000, 'service did not exit after SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Opens a PATCH whose body stops coming: once the server has taken the request ("100 Continue"), a part of the body, then nothing. */
async function stalledRequest(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  socket.write(
    `PATCH /api/v1/config HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${ADMIN_KEY}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n',
  );
  await withTimeout(
    new Promise<void>((resolve) => socket.on('data', () => answer.includes('100 Continue') && resolve())),
    4000,
    'no 100 Continue',
  );
  socket.write('{"check_interval":');
  return socket;
}

describe('a bounded stop', () => {
  test('a request whose body stopped coming is cut once the grace is over; the service exits cleanly', async (t) => {
    await withService({}, async (service) => {
      const socket = await stalledRequest(service.port);
      const cut = once(socket, 'close');
      const signalledAt = Date.now();
      service.child.kill('SIGTERM');
      assert.equal(await withTimeout(service.exited, GRACE_MS + STOP_MARGIN_MS - 1000, 'service did not exit'), ExitCode.OK);
      t.diagnostic(`stalled request: exit 0 ${Date.now() - signalledAt} ms after SIGTERM (grace ${GRACE_MS} ms)`);
      await withTimeout(cut, 1000, 'the stalled request was not cut');
      assert.doesNotMatch(service.stderr(), /stop did not finish/);
    });
  });

  test('a second signal during the stop ends the process at once', async () => {
    // A long grace, and a request that holds the stop for all of it.
    await withService({ server: { shutdown_grace_ms: 60_000 } }, async (service) => {
      const socket = await stalledRequest(service.port);
      service.child.kill('SIGTERM');
      await service.printed(/"msg":"stopping"/);
      service.child.kill('SIGINT');
      assert.equal(await withTimeout(service.exited, 4000, 'service did not exit on the second signal'), 'SIGINT');
      socket.destroy();
    });
  });

  test('a stop stuck on a frozen Redis ends the process past the grace and the margin, naming the step', {
    skip: redisSkipReason(),
  }, async (t) => {
    const redis = await startRedis();
    try {
      await withService({ cluster: { redis_url: redis.url, node_id: 'frozen' } }, async (service) => {
        const { client } = await connectAuthed(`ws://127.0.0.1:${service.port}/ws`, ADMIN_KEY);
        // SIGSTOP: the connection stays open and nothing answers, as with a hung Redis host.
        process.kill(redis.pid!, 'SIGSTOP');
        try {
          const signalledAt = Date.now();
          service.child.kill('SIGTERM');
          const limitMs = GRACE_MS + STOP_MARGIN_MS;
          assert.equal(await withTimeout(service.exited, limitMs + 5000, 'service did not exit'), ExitCode.FAILURE);
          t.diagnostic(`frozen Redis: exit 1 ${Date.now() - signalledAt} ms after SIGTERM (limit ${limitMs} ms)`);
          assert.equal((await client.waitClosed()).code, 1006, 'cut with the process');
          const [, step] = /stop did not finish within (?:\d+) ms \(still at: ([^)]+)\): exiting/.exec(service.stderr()) ?? [];
          assert.equal(step, 'delivering the events published so far', service.stderr());
          assert.match(service.stderr(), new RegExp(`"limit_ms":${limitMs}`));
        } finally {
          process.kill(redis.pid!, 'SIGCONT');
        }
      });
    } finally {
      await redis.stop();
    }
  });
});
