/**
 * Fault suite, data directory: unusable at start (one line naming the file and the way out), full,
 * read-only, owned by another user, deleted while running. The service never crashes; what it cannot
 * keep it does not acknowledge; /healthz and /metrics say so; it recovers when the disk does.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { validateConfig } from '../src/config/validate.js';
import { ErrorCode } from '../src/protocol/index.js';
import { createApp } from '../src/server/app.js';
import { ALIVE_EVERY_MS } from '../src/sources/lifecycle.js';
import { DataDirError } from '../src/store/data-dir.js';
import { openDatabase } from '../src/store/database.js';
import {
  fillUp,
  makeReadOnly,
  mountTmpfs,
  OTHER_GID,
  OTHER_UID,
  otherUsersDir,
  removeDir,
  rootSkipReason,
  unmount,
} from './support/mounts.js';
import { postMetrics, rest } from './support/rest.js';
import { ADMIN_KEY, READ_KEY, startServer, type TestServer } from './support/server.js';
import { newDataDir, type RunOptions, runService, runToExit } from './support/service-process.js';
import { connectAuthed, type Message, type TestClient, withTimeout } from './support/ws-client.js';

const rootSkip = rootSkipReason();
const ops = { auth: { api_keys: [{ name: 'ops', key: ADMIN_KEY, role: 'admin' }] } };

/** Polls /healthz (the service has no push for it) until `accept` holds, at most `timeoutMs`. */
async function healthWhen(server: { url: string }, accept: (body: any) => boolean, timeoutMs = 10_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await rest(server, 'GET', '/healthz', { key: null });
    if (accept(body)) return body;
    if (Date.now() > deadline) throw new Error(`/healthz never matched; last: ${JSON.stringify(body)}`);
    await delay(100);
  }
}

describe('data directory unusable at start: one line naming the file and the way out, exit code 74', () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) removeDir(dir);
  });
  const dataDir = () => {
    const dir = newDataDir();
    dirs.push(dir);
    return dir;
  };
  /** The app refuses to start with this message (what `serve` prints after `qbt-monitor: `); a few cases run the command itself. */
  async function failsToStart(dir: string, expected: RegExp): Promise<void> {
    const started = createApp({
      config: validateConfig({}, 'test'),
      dataDir: dir,
      configPath: join(dir, 'config.json'),
      logger: pino({ level: 'silent' }),
    });
    await assert.rejects(started, (error: Error) => error instanceof DataDirError && expected.test(`qbt-monitor: ${error.message}`));
  }
  async function commandFails(dir: string, as?: RunOptions): Promise<string> {
    const result = await runToExit(['serve', '--port', '0', '--data-dir', dir], as);
    assert.equal(result.code, 74, result.stderr);
    assert.equal(result.stderr.split('\n').length, 2, `one line: ${result.stderr}`);
    return result.stderr;
  }

  test('the command: exit code 74 and one line on stderr', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'qbt-monitor.db'), 'these are not the pages you are looking for\n'.repeat(200));
    assert.match(await commandFails(dir), new RegExp(`^qbt-monitor: ${dir}/qbt-monitor.db is not a qbt-monitor database`));
  });

  test('a file that is not a database', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'qbt-monitor.db'), 'these are not the pages you are looking for\n'.repeat(200));
    await failsToStart(
      dir,
      new RegExp(`^qbt-monitor: ${dir}/qbt-monitor.db is not a qbt-monitor database \\(SQLite: file is not a database\\): move it aside`),
    );
  });

  test('a damaged database', async () => {
    const dir = dataDir();
    const db = openDatabase(dir);
    const insert = db.prepare("INSERT INTO events (id, name, timestamp, recorded_at, data) VALUES (?, 'system.x', '', 0, ?)");
    for (let i = 0; i < 500; i += 1) insert.run(`e${i}`, 'x'.repeat(500));
    db.close();
    truncateSync(join(dir, 'qbt-monitor.db'), 3 * 4096);
    await failsToStart(
      dir,
      new RegExp(`^qbt-monitor: ${dir}/qbt-monitor.db is damaged \\(SQLite: database disk image is malformed\\): restore it from a backup`),
    );
  });

  test('the database path is a directory', async () => {
    const dir = dataDir();
    mkdirSync(join(dir, 'qbt-monitor.db'));
    await failsToStart(
      dir,
      new RegExp(`^qbt-monitor: cannot open the database ${dir}/qbt-monitor.db: it is a directory, not a file: remove it`),
    );
  });

  test('the run record is a directory (EISDIR)', async () => {
    const dir = dataDir();
    mkdirSync(join(dir, 'run.json'));
    await failsToStart(dir, new RegExp(`^qbt-monitor: ${dir}/run.json: is a directory, not a file \\(EISDIR\\): remove that directory`));
  });

  test('the data directory is a file', async () => {
    const dir = join(dataDir(), 'data');
    writeFileSync(dir, '');
    await failsToStart(
      dir,
      new RegExp(`^qbt-monitor: data directory ${dir} is not a directory: remove what is there, or choose another --data-dir`),
    );
  });

  test('a data directory the service may not write (another user)', { skip: rootSkip }, async () => {
    const dir = dataDir();
    chmodSync(dir, 0o755);
    assert.equal(
      await commandFails(dir, { uid: OTHER_UID, gid: OTHER_GID }),
      `qbt-monitor: cannot open the database ${dir}/qbt-monitor.db: ${dir} is not writable by uid ${OTHER_UID}: ` +
        'give this user write access to it (chown or chmod), or choose another --data-dir\n',
    );
  });
});

describe('data directory faults while running', { skip: rootSkip }, () => {
  const mounts: string[] = [];
  const dirs: string[] = [];
  after(() => {
    for (const dir of mounts.splice(0)) unmount(dir);
    for (const dir of dirs.splice(0)) removeDir(dir);
  });

  describe('full disk, then space again, then read-only', () => {
    let tmpfs: string;
    let server: TestServer;
    let admin: TestClient;
    let alert: Message;
    let spaceFreedAt = 0;
    before(async () => {
      tmpfs = mountTmpfs(8 * 1024 * 1024);
      mounts.push(tmpfs);
      mkdirSync(join(tmpfs, 'data'));
      // The config file elsewhere: what is tested here is the store, not the config file (fault-config.test.ts).
      const configDir = mkdtempSync(join(tmpdir(), 'qbtm-config-'));
      dirs.push(configDir);
      server = await startServer(
        { check_interval: 2, alerts: { rules: [{ metric: 'fault_queue', threshold: 10, level: 'warning' }] } },
        { dataDir: join(tmpfs, 'data'), configPath: join(configDir, 'config.json') },
      );
      ({ client: admin } = await connectAuthed(server.wsUrl(), ADMIN_KEY));
      await postMetrics(server, { metric_name: 'fault_queue', value: 50 });
      alert = await admin.next((m) => m.type === 'alert' && m.data.status === 'active');
    });
    after(async () => {
      admin?.close();
      await server?.stop();
    });

    test('disk full: PATCH is 503 and changes nothing; /healthz degraded with the reason; /metrics shows it', async () => {
      const filler = fillUp(tmpfs);
      const configBefore = readFileSync(server.configPath, 'utf8');
      const patched = await rest(server, 'PATCH', '/api/v1/config', { body: { check_interval: 7 } });
      assert.equal(patched.status, 503);
      assert.equal(patched.body.error.code, ErrorCode.UNAVAILABLE);
      assert.match(
        patched.body.error.message,
        /^the change could not be recorded \(database or disk is full \(SQLITE_FULL\)\): nothing changed/,
      );
      assert.equal(server.app.liveConfig.current.check_interval, 2);
      assert.equal(readFileSync(server.configPath, 'utf8'), configBefore, 'the config file is as it was');

      const health = await healthWhen(server, (body) => body.status === 'degraded');
      const database = health.store.problems.find((problem: { part: string }) => problem.part === 'database');
      assert.equal(health.store.writable, false);
      assert.equal(database.path, join(server.dataDir, 'qbt-monitor.db'));
      assert.equal(database.reason, 'database or disk is full (SQLITE_FULL)');
      const metrics = await rest(server, 'GET', '/metrics', { key: READ_KEY });
      assert.match(metrics.body, /^qbtm_store_writable\{part="database"\} 0$/m);
      rmSync(filler);
    });

    test('disk full: resolve_alert is UNAVAILABLE and the alert stays active', async () => {
      const filler = fillUp(tmpfs);
      const refused = await admin.request({ type: 'resolve_alert', data: { alert_id: alert.data.alert_id } });
      assert.equal(refused.type, 'error');
      assert.equal(refused.data.code, ErrorCode.UNAVAILABLE);
      assert.match(refused.data.message, /could not be recorded \(database or disk is full \(SQLITE_FULL\)\): nothing changed/);
      assert.deepEqual(
        server.app.alerts.activeAlerts().map((record) => record.alert_id),
        [alert.data.alert_id],
      );
      const stored = await rest(server, 'GET', '/api/v1/alerts?status=active', { key: READ_KEY });
      assert.deepEqual(
        stored.body.alerts.map((record: { alert_id: string }) => record.alert_id),
        [alert.data.alert_id],
      );
      rmSync(filler);
      spaceFreedAt = Date.now();
    });

    test('space again: /healthz ok within seconds, and the same operations succeed', async (t) => {
      const health = await healthWhen(server, (body) => body.status === 'ok');
      t.diagnostic(`space freed: /healthz ok again after ${Date.now() - spaceFreedAt} ms (the store is probed every ${ALIVE_EVERY_MS} ms)`);
      assert.deepEqual(health.store, { writable: true });
      const patched = await rest(server, 'PATCH', '/api/v1/config', { body: { check_interval: 8 } });
      assert.equal(patched.status, 200);
      const updated = await admin.next((m) => m.type === 'config' && m.data.action === 'updated');
      assert.deepEqual(updated.data.old_values, { check_interval: 2 }, 'the refused PATCH left no trace');
      const ack = await admin.request({ type: 'resolve_alert', data: { alert_id: alert.data.alert_id } });
      assert.equal(ack.type, 'ack');
      const resolved = await admin.next((m) => m.type === 'alert' && m.data.status === 'resolved');
      assert.equal(resolved.data.alert_id, alert.data.alert_id);
    });

    test('read-only: degraded naming the file and EROFS; writable again: ok', async () => {
      // A read-only bind mount: files opened from now on are read-only, the database already open is not.
      makeReadOnly(server.dataDir);
      mounts.push(server.dataDir);
      const health = await healthWhen(server, (body) => body.status === 'degraded');
      assert.deepEqual(health.store.problems, [
        {
          ...health.store.problems[0],
          part: 'data_directory',
          path: server.dataDir,
          reason: 'read-only file system (EROFS)',
        },
      ]);
      unmount(mounts.pop()!);
      await healthWhen(server, (body) => body.status === 'ok');
    });
  });

  test('a data directory taken from the service (another owner): degraded, naming it; given back: ok', async () => {
    const dataDir = otherUsersDir();
    dirs.push(dataDir);
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify(ops));
    chownSync(join(dataDir, 'config.json'), OTHER_UID, OTHER_GID);
    const service = await runService(['--data-dir', dataDir], {}, { uid: OTHER_UID, gid: OTHER_GID });
    try {
      chownSync(dataDir, 0, 0);
      const health = await healthWhen(service, (body) => body.status === 'degraded');
      assert.deepEqual(health.store.problems[0], {
        ...health.store.problems[0],
        part: 'data_directory',
        path: dataDir,
        reason: `permission denied for uid ${OTHER_UID} (EACCES)`,
      });
      chownSync(dataDir, OTHER_UID, OTHER_GID);
      await healthWhen(service, (body) => body.status === 'ok');
      assert.equal(await service.stop(), 0);
    } finally {
      await service.stop();
    }
  });

  test('deleted and not recreatable yet: degraded saying so; once it can be, recreated and a restart asked for', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'qbtm-parent-'));
    dirs.push(parent);
    mkdirSync(join(parent, 'data'));
    const server = await startServer({}, { dataDir: join(parent, 'data') });
    try {
      rmSync(server.dataDir, { recursive: true });
      makeReadOnly(parent);
      mounts.push(parent);
      const health = await healthWhen(server, (body) => body.status === 'degraded');
      assert.deepEqual(health.store.problems, [
        {
          ...health.store.problems[0],
          part: 'data_directory',
          path: server.dataDir,
          reason: `the data directory ${server.dataDir} was deleted`,
        },
      ]);
      unmount(mounts.pop()!);
      assert.equal(await withTimeout(server.app.restartRequested, 10_000, 'no restart asked for'), 'data_directory_lost');
      assert.deepEqual(JSON.parse(readFileSync(server.configPath, 'utf8')), server.fileConfig, 'its config file written back');
    } finally {
      await server.stop();
    }
  });
});

describe('data directory deleted while running', () => {
  /** How many times the directory is deleted under one process: once in `npm test`, more in `npm run soak`. */
  const DELETIONS = Number(process.env.QBTM_SOAK_DELETIONS ?? 1);

  test('the service recreates it, restarts on a new log, keeps its generated key; clients are told and get back in', async (t) => {
    const dataDir = newDataDir();
    const service = await runService(['--data-dir', dataDir]);
    try {
      const [, key] = await service.printed(/\n {4}(qbtm_\S+)\n/, 'stdout');
      assert.ok(key, 'a key was generated');
      let { client, ack } = await connectAuthed(`ws://127.0.0.1:${service.port}/ws`, key);
      const recoveries: number[] = [];
      for (let round = 1; round <= DELETIONS; round += 1) {
        const deletedAt = Date.now();
        rmSync(dataDir, { recursive: true });

        const stopping = await client.next((m) => m.data?.event === 'service_stopping', 10_000);
        assert.equal(stopping.data.reason, 'data_directory_lost');
        assert.equal((await client.waitClosed()).code, 1001);
        const port = await withTimeout(listeningAgain(service, round + 1), 15_000, 'no new start');
        recoveries.push(Date.now() - deletedAt);
        assert.equal(service.stdout().match(/Generated an admin API key/g)?.length, 1, 'no new key');
        assert.ok(existsSync(join(dataDir, 'qbt-monitor.db')), 'a new database');

        // Resuming from the lost log is a gap: the client is told, and starts over from a snapshot.
        const url = `ws://127.0.0.1:${port}/ws`;
        const resumed = await connectAuthed(`${url}?since=${stopping.meta!.seq!}&epoch=${ack.data.epoch}`, key);
        const gap = await resumed.client.next('resumed');
        assert.equal(gap.data.gap, true);
        assert.notEqual(resumed.ack.data.epoch, ack.data.epoch, 'a new log');
        // The new log's first events, replayed from its start: the restart, and why.
        const replay = await connectAuthed(`${url}?since=0&epoch=${resumed.ack.data.epoch}`, key);
        const restart = await replay.client.next((m) => m.data?.event === 'service_restart');
        replay.client.close();
        assert.equal(restart.data.reason, 'data_directory_lost');
        assert.equal(restart.data.new_pid, service.pid, 'the same process: no crash');
        assert.equal(typeof restart.data.previous_uptime, 'number');
        const health = await healthWhen({ url: `http://127.0.0.1:${port}` }, (body) => body.status === 'ok');
        assert.deepEqual(health.store, { writable: true });
        client = resumed.client;
        ack = resumed.ack;
      }
      const sorted = [...recoveries].sort((a, b) => a - b);
      t.diagnostic(
        `data directory deleted ${DELETIONS} times: back on a new log after median ${sorted[Math.floor(sorted.length / 2)]} ms, ` +
          `max ${sorted.at(-1)} ms (deletion to listening again)`,
      );
      client.close();
      assert.equal(await service.stop(), 0);
    } finally {
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** The port of the service's `count`-th start, once it has logged it (the service has no other signal for it). */
async function listeningAgain(service: { stderr(): string }, count: number): Promise<number> {
  for (;;) {
    const ports = [...service.stderr().matchAll(/listening on http:\/\/[^:]+:(\d+)/g)];
    if (ports.length >= count) return Number(ports[count - 1]![1]);
    await delay(20);
  }
}
