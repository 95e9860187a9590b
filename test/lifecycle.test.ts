/** Heartbeats, graceful shutdown (in process and by signal), restarts, and the command line. */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { CloseCode, ErrorCode } from '../src/protocol/index.js';
import { ADMIN_KEY, READ_KEY, startServer } from './support/server.js';
import { newDataDir, runService, runToExit, writeConfig } from './support/service-process.js';
import { connect, connectAuthed } from './support/ws-client.js';

const keys = { api_keys: [{ name: 'ops', key: ADMIN_KEY, role: 'admin' }] };

describe('heartbeat', () => {
  test('a peer that stops answering pings is terminated within the timeout; one that answers stays', async () => {
    const server = await startServer({ server: { heartbeat_interval_ms: 100, heartbeat_timeout_ms: 100 } });
    try {
      const silent = await connectAuthed(server.wsUrl(), READ_KEY, { autoPong: false });
      const healthy = await connectAuthed(server.wsUrl(), READ_KEY);
      let pings = 0;
      healthy.client.ws.on('ping', () => (pings += 1));
      const started = Date.now();
      const closed = await silent.client.waitClosed(2000);
      assert.equal(closed.code, 1006, 'terminated without a close frame');
      assert.ok(Date.now() - started < 1000, 'within interval + timeout, with slack for a loaded machine');
      await new Promise<void>((resolve) => healthy.client.ws.on('ping', () => pings >= 3 && resolve()));
      assert.equal(healthy.client.ws.readyState, healthy.client.ws.OPEN);
      assert.equal(server.app.ws.stats.heartbeatTimeouts, 1);
      healthy.client.close();
    } finally {
      await server.stop();
    }
  });
});

describe('shutdown', () => {
  test('stop: service_stopping, then close 1001 for every client; new connections get CONNECTION_FAILED and 1001', async () => {
    const server = await startServer({ server: { shutdown_grace_ms: 2000 } });
    const a = await connectAuthed(server.wsUrl(), READ_KEY);
    const b = await connectAuthed(server.wsUrl('/ws/alerts'), READ_KEY);
    server.app.ws.startDraining();
    const late = await connect(server.wsUrl(), { token: READ_KEY });
    const refused = await late.next();
    assert.equal(refused.data.code, ErrorCode.CONNECTION_FAILED);
    assert.ok(refused.data.retry_after > 0);
    assert.equal((await late.waitClosed()).code, CloseCode.GOING_AWAY);
    const stopped = server.stop();
    const stopping = await a.client.next((m) => m.type === 'system' && m.data.event === 'service_stopping');
    assert.equal(stopping.data.service, 'qbittorrent_monitor');
    assert.equal(typeof stopping.meta?.seq, 'number');
    assert.deepEqual(await a.client.waitClosed(), { code: CloseCode.GOING_AWAY, reason: 'service_stopping' });
    assert.deepEqual(await b.client.waitClosed(), { code: CloseCode.GOING_AWAY, reason: 'service_stopping' });
    await stopped;
  });

  test('SIGTERM stops the process cleanly; the next start announces service_restart with the reason and true figures', async () => {
    const dataDir = newDataDir();
    try {
      const config = writeConfig(dataDir, { auth: keys });
      const first = await runService(['--data-dir', dataDir, '--config', config]);
      const { client } = await connectAuthed(`ws://127.0.0.1:${first.port}/ws`, ADMIN_KEY);
      const exit = first.stop('SIGTERM');
      const stopping = await client.next((m) => m.data?.event === 'service_stopping');
      assert.equal(stopping.data.reason, 'signal');
      assert.equal((await client.waitClosed()).code, CloseCode.GOING_AWAY);
      assert.equal(await exit, 0);

      const second = await runService(['--data-dir', dataDir, '--config', config]);
      const back = await connectAuthed(`ws://127.0.0.1:${second.port}/ws`, ADMIN_KEY, {});
      back.client.send({ type: 'resume', data: { since: stopping.meta!.seq! } });
      const restart = await back.client.next((m) => m.data?.event === 'service_restart');
      assert.equal(restart.data.service, 'qbittorrent_monitor');
      assert.equal(restart.data.reason, 'signal');
      assert.equal(restart.data.new_pid, second.pid);
      assert.equal(restart.data.previous_pid, first.pid);
      assert.equal(typeof restart.data.previous_uptime, 'number');
      assert.ok(restart.data.previous_uptime >= 0);
      assert.ok(restart.meta!.seq! > stopping.meta!.seq!, 'seq continues across restarts');
      back.client.close();

      second.child.kill('SIGKILL');
      await second.exited;
      const third = await runService(['--data-dir', dataDir, '--config', config]);
      const after = await connectAuthed(`ws://127.0.0.1:${third.port}/ws`, ADMIN_KEY);
      after.client.send({ type: 'resume', data: { since: restart.meta!.seq! } });
      const unclean = await after.client.next((m) => m.data?.event === 'service_restart');
      assert.equal(unclean.data.reason, 'unclean_shutdown');
      after.client.close();
      assert.equal(await third.stop('SIGINT'), 0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('previous_uptime after kill -9', () => {
  test('a run killed after a few seconds is reported within a few seconds of its true uptime', async () => {
    const dataDir = newDataDir();
    try {
      const config = writeConfig(dataDir, { auth: keys });
      const first = await runService(['--data-dir', dataDir, '--config', config]);
      const { started_at: startedAt } = JSON.parse(readFileSync(join(dataDir, 'run.json'), 'utf8')) as { started_at: string };
      // The run's length is what is measured here: it has to last a while, under the old 15 s record interval.
      await delay(3500);
      first.child.kill('SIGKILL');
      const killedAt = Date.now();
      await first.exited;
      const truth = (killedAt - Date.parse(startedAt)) / 1000;

      const second = await runService(['--data-dir', dataDir, '--config', config]);
      const { client } = await connectAuthed(`ws://127.0.0.1:${second.port}/ws`, ADMIN_KEY);
      client.send({ type: 'resume', data: { since: 0 } });
      const restart = await client.next((m) => m.data?.event === 'service_restart');
      assert.equal(restart.data.reason, 'unclean_shutdown');
      assert.equal(typeof restart.data.previous_uptime, 'number', 'known, though the run was short');
      // Within a few seconds of the truth, a bound of its own: not derived from the record interval.
      assert.ok(truth - restart.data.previous_uptime <= 3, `${restart.data.previous_uptime} s reported, ${truth} s true`);
      assert.ok(restart.data.previous_uptime <= truth + 0.5, `${restart.data.previous_uptime} s reported, ${truth} s true`);
      client.close();
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('command line', () => {
  test('first start without keys generates an admin key, prints it once, and it works', async () => {
    const dataDir = newDataDir();
    try {
      const first = await runService(['--data-dir', dataDir]);
      const [, key] = await first.printed(/\n {4}(qbtm_\S+)\n/, 'stdout');
      assert.ok(key);
      assert.match(first.stdout(), new RegExp(`ws://127\\.0\\.0\\.1:${first.port}/ws\\?token=`), 'the real address, not a placeholder');
      const { ack, client } = await connectAuthed(`ws://127.0.0.1:${first.port}/ws`, key);
      assert.equal(ack.data.role, 'admin');
      client.close();
      await first.stop();
      const second = await runService(['--data-dir', dataDir]);
      assert.ok(!second.stdout().includes(key), 'printed only once');
      const again = await connectAuthed(`ws://127.0.0.1:${second.port}/ws`, key);
      again.client.close();
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a config edited into nonsense is refused at start with each bad field named', async () => {
    const dataDir = newDataDir();
    try {
      const config = writeConfig(dataDir, { limits: { burst: 'lots' }, server: { port: 99999 }, bogus: true });
      const result = await runToExit(['serve', '--data-dir', dataDir, '--config', config]);
      assert.equal(result.code, 78);
      assert.match(result.stderr, /limits\.burst: Expected integer/);
      assert.match(result.stderr, /server\.port: Expected integer to be less or equal to 65535/);
      assert.match(result.stderr, /bogus/);
      writeConfig(dataDir, { server: { heartbeat_interval_ms: 1000, heartbeat_timeout_ms: 5000 } });
      const conflict = await runToExit(['serve', '--data-dir', dataDir, '--config', config]);
      assert.match(conflict.stderr, /heartbeat_timeout_ms: must not exceed/);
      const broken = writeConfig(dataDir, {});
      (await import('node:fs')).writeFileSync(broken, '{ "log_level": ');
      const unparsable = await runToExit(['serve', '--data-dir', dataDir, '--config', broken]);
      assert.equal(unparsable.code, 78);
      assert.match(unparsable.stderr, /not valid JSON/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('--host, --port and --data-dir override the file', async () => {
    const dataDir = newDataDir();
    try {
      const config = writeConfig(dataDir, { server: { host: '0.0.0.0', port: 1 }, auth: keys });
      const service = await runService(['--host', '127.0.0.1', '--data-dir', dataDir, '--config', config]);
      assert.notEqual(service.port, 1);
      const health = (await (await fetch(`${service.url}/healthz`)).json()) as { status: string };
      assert.equal(health.status, 'ok');
      await service.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
