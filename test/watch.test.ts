/** `qbt-monitor watch` end to end against a real server: JSON lines, filters, pretty lines, reconnect notes, Ctrl-C, bad keys. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { formatEvent, painter } from '../src/cli/watch-format.js';
import type { ServerMessage } from '../src/client/index.js';
import { postMetrics, rest } from './support/rest.js';
import { READ_KEY, startServer } from './support/server.js';
import { withTimeout } from './support/ws-client.js';
import { loose } from './support/loose.js';

const MAIN = resolve(import.meta.dirname, '../src/cli/main.ts');
const WAIT_MS = 10_000;

interface WatchProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout or stderr (as named) matches. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<void>;
  exited: Promise<number | string>;
}

function runWatch(args: string[], env: NodeJS.ProcessEnv = {}): WatchProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'watch', ...args], {
    env: { ...process.env, QBT_MONITOR_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const text = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (text.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text.stderr += chunk.toString()));
  const exited = new Promise<number | string>((done) => child.once('exit', (code, signal) => done(code ?? signal ?? -1)));
  return {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    waitFor(stream, pattern) {
      const matched = new Promise<void>((done) => {
        const check = () => pattern.test(text[stream]) && done();
        check();
        child[stream]!.on('data', check);
      });
      return withTimeout(matched, WAIT_MS, `watch printed no ${pattern} on ${stream} (stdout: ${text.stdout}; stderr: ${text.stderr})`);
    },
    exited: withTimeout(exited, WAIT_MS * 2, 'watch did not exit'),
  };
}

const alert = (alertId: string, type: string, level: string) =>
  loose({
    alert_id: alertId,
    type,
    level,
    status: 'active',
    title: alertId,
    message: `${type} high`,
  });

describe('qbt-monitor watch', () => {
  test('--json: one parseable message per line, narrowed by --events and --filter (state on connect included); SIGINT exits 0', async () => {
    const server = await startServer();
    server.app.publish('alert.memory', alert('memory-before', 'memory', 'critical'));
    server.app.publish('alert.cpu', alert('cpu-before', 'cpu', 'critical'));
    await server.app.bus.flush();
    const watch = runWatch(['--url', server.wsUrl(), '--json', '--events', 'alert.cpu', '--filter', 'level=critical'], {
      QBT_MONITOR_TOKEN: READ_KEY,
    });
    try {
      await watch.waitFor('stderr', /connected to /);
      server.app.publish('alert.cpu', alert('cpu-warning', 'cpu', 'warning'));
      server.app.publish('alert.memory', alert('memory-critical', 'memory', 'critical'));
      server.app.publish('alert.cpu', alert('cpu-critical', 'cpu', 'critical'));
      server.app.publish('system.sentinel', { event: 'sentinel', service: 'test' });
      await watch.waitFor('stdout', /"sentinel"/);

      const messages = watch
        .stdout()
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as ServerMessage);
      const alerts = messages.filter((m) => m.type === 'alert').map((m) => (m.data as { alert_id: string }).alert_id);
      assert.deepEqual(alerts, ['cpu-before', 'cpu-critical']);
      assert.ok(messages.every((m) => typeof m.id === 'string' && typeof m.timestamp === 'string'));
      watch.child.kill('SIGINT');
      assert.equal(await watch.exited, 0);
    } finally {
      watch.child.kill('SIGKILL');
      await server.stop();
    }
  });

  test('pretty lines, uncoloured off a terminal; a lost connection is announced; SIGINT while reconnecting exits 0', async () => {
    const server = await startServer();
    const watch = runWatch(['--url', server.wsUrl(), '--token', READ_KEY]);
    try {
      await watch.waitFor('stderr', /connected to /);
      server.app.publish('alert.cpu', { ...alert('pretty', 'cpu', 'warning'), title: 'CPU high', message: 'CPU at 85%\u001b[2J' });
      await watch.waitFor('stdout', /alert\.cpu {2}\[WARNING\] CPU high — CPU at 85%\uFFFD\[2J \(pretty\)/);
      assert.ok(!watch.stdout().includes('\u001b'), 'no escape sequences: not a terminal, and none passed through from event data');
      await server.stop();
      await watch.waitFor('stderr', /connection lost \(1001 service_stopping\); reconnecting in \d+\.\d s \(attempt 1\)/);
      watch.child.kill('SIGINT');
      assert.equal(await watch.exited, 0);
    } finally {
      watch.child.kill('SIGKILL');
    }
  });

  test('a server back with a new event log (data directory lost) is told apart from a resumption', async () => {
    let server = await startServer();
    const watch = runWatch(['--url', server.wsUrl(), '--token', READ_KEY]);
    try {
      await watch.waitFor('stderr', /connected to /);
      await server.stop();
      await watch.waitFor('stderr', /connection lost/);
      server = await startServer({ server: { port: server.port } });
      await watch.waitFor('stderr', /the server has a new event log \(its data was lost or replaced\)/);
      assert.doesNotMatch(watch.stderr(), /resumed: /);
    } finally {
      watch.child.kill('SIGKILL');
      await server.stop();
    }
  });

  test('shows what was done about an alert: silenced, acknowledged by whom with the comment, reminders', async () => {
    const server = await startServer({
      alerts: { rules: [{ metric: 'watched', threshold: 100, level: 'critical' }] },
      notifications: { repeat_interval: 0.3 },
    });
    const watch = runWatch(['--url', server.wsUrl(), '--token', READ_KEY, '--events', 'alert.*']);
    try {
      await watch.waitFor('stderr', /connected to /);
      await postMetrics(server, { metric_name: 'watched', value: 500, unit: 'jobs' });
      await watch.waitFor('stdout', /alert\.watched {2}\[CRITICAL\] .*\((alert_[0-9a-f]+)\) \(reminder 1\)/);
      const alertId = /\((alert_[0-9a-f]+)\)/.exec(watch.stdout())![1]!;
      const acknowledged = await rest(server, 'POST', `/api/v1/alerts/${alertId}/acknowledge`, { body: { comment: 'on it' } });
      assert.equal(acknowledged.status, 200);
      await watch.waitFor('stdout', /\[CRITICAL\] .*\(alert_[0-9a-f]+\) {2}\[ACK by test-admin: on it\]\n/);
      const silence = await rest(server, 'POST', '/api/v1/silences', { body: { matchers: { alert_id: alertId }, duration: 60 } });
      assert.equal(silence.status, 201);
      await watch.waitFor('stdout', /\(alert_[0-9a-f]+\) {2}\[SILENCED\] {2}\[ACK by test-admin: on it\]\n/);
    } finally {
      watch.child.kill('SIGKILL');
      await server.stop();
    }
  });

  test('a bad key exits 1 saying why; a missing key is a usage error (64)', async () => {
    const server = await startServer();
    try {
      const refused = runWatch(['--url', server.wsUrl(), '--token', 'wrong-key-0123456789']);
      assert.equal(await refused.exited, 1);
      assert.match(refused.stderr(), /stopped: AUTH_FAILED/);
      const keyless = runWatch(['--url', server.wsUrl()]);
      assert.equal(await keyless.exited, 64);
      assert.match(keyless.stderr(), /an API key is required/);
    } finally {
      await server.stop();
    }
  });

  test('colours by severity when asked to', () => {
    const message = {
      type: 'alert',
      id: 'a',
      timestamp: new Date().toISOString(),
      data: alert('c', 'cpu', 'critical'),
    } as ServerMessage<'alert'>;
    assert.match(formatEvent(message, painter(true)), /\u001b\[31m\[CRITICAL\]\u001b\[0m/);
    assert.doesNotMatch(formatEvent(message, painter(false)), /\u001b/);
  });

  test("prints the torrent lifecycle readably, and qBittorrent's figures in one line", async () => {
    const server = await startServer();
    try {
      const watch = runWatch(['--url', server.wsUrl('/ws/torrents'), '--token', READ_KEY]);
      await watch.waitFor('stdout', /torrent\.list\s+0 torrents/);
      const torrent = {
        hash: 'c'.repeat(40),
        name: 'ubuntu-24.04.iso\u001b[2J',
        state: 'uploading',
        progress: 1,
        size: 6 * 1024 ** 3,
        category: 'iso',
        tags: ['linux', 'lts'],
        save_path: '/srv/downloads',
        added_on: new Date().toISOString(),
        completion_on: new Date().toISOString(),
        source: 'clipboard' as const,
      };
      server.app.publish('torrent.completed', torrent);
      server.app.publish('torrent.errored', { ...torrent, state: 'missingFiles', source: 'qbittorrent' as const });
      await watch.waitFor('stdout', /ERRORED/);
      const lines = watch.stdout().split('\n');
      const completed = lines.find((line) => line.includes('torrent.completed'))!;
      assert.match(
        completed,
        /\[COMPLETED\] "ubuntu-24\.04\.iso\uFFFD\[2J" {2}100\.0% of 6\.0 GiB {2}uploading {2}category=iso tags=linux,lts {2}from the clipboard$/,
      );
      assert.match(lines.find((line) => line.includes('torrent.errored'))!, /\[ERRORED\] .* missingFiles {2}category=iso tags=linux,lts$/);
      watch.child.kill('SIGINT');
      assert.equal(await watch.exited, 0);
    } finally {
      await server.stop();
    }
  });

  test('formats performance.qbittorrent as speeds, counts and free space', () => {
    const message = {
      type: 'performance',
      id: 'p',
      timestamp: new Date().toISOString(),
      meta: { event: 'performance.qbittorrent' },
      data: {
        dl_speed: 1.5 * 1024 ** 2,
        up_speed: 20 * 1024,
        dl_session_bytes: 0,
        up_session_bytes: 0,
        free_space_on_disk: 120 * 1024 ** 3,
        connection_status: 'firewalled',
        dht_nodes: 0,
        torrents: { total: 3, downloading: 1, seeding: 2, stopped: 0, stalled: 0, errored: 0, checking: 0, queued: 0, other: 0 },
      },
    } as ServerMessage<'performance'>;
    assert.match(
      formatEvent(message, painter(false)),
      /performance\.qbittorrent {2}down 1\.5 MiB\/s {2}up 20\.0 KiB\/s {2}3 torrents \(1 downloading, 2 seeding\) {2}free 120\.0 GiB {2}firewalled$/,
    );
  });
});
