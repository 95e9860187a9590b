/**
 * Figures of the fault suite against a real `qbt-monitor serve` process, for docs/reliability.md: server
 * RSS under a paused reader asking for large histories, admission of keys during a flood of silent
 * sockets, REST floods without a key, and bytes out for bytes in under a subscription flood. Linux only
 * (RSS from /proc). FAULT_ROOT points at another checkout to measure it the same way (the figures
 * "before" come from the commit before the fixes).
 *
 *   npx tsx bench/fault-figures.ts                       # this checkout
 *   FAULT_ROOT=/path/to/old/checkout npx tsx bench/fault-figures.ts
 *   FAULT_ONLY=paused,flood,rest,subscriptions           # some of them
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import WebSocket from 'ws';

const ROOT = resolve(process.env.FAULT_ROOT ?? resolve(import.meta.dirname, '..'));
const KEY = 'fault-figures-admin-key-0123456789';
const READ = 'fault-figures-read-key-0123456789';

interface Service {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/** Starts `serve` from ROOT with only config keys every version knows (the new bounds keep their defaults). */
async function startService(extra: Record<string, Record<string, unknown>> = {}): Promise<Service> {
  const dataDir = mkdtempSync(join(tmpdir(), 'qbtm-faults-'));
  const config = join(dataDir, 'config.json');
  const base: Record<string, Record<string, unknown>> = {
    metrics: { sample_system: false },
    clipboard: { enabled: false },
    auth: {
      api_keys: [
        { name: 'admin', key: KEY, role: 'admin' },
        { name: 'reader', key: READ, role: 'read' },
      ],
    },
  };
  // Sections merged one level deep: `{ auth: { timeout_ms } }` keeps the keys.
  for (const [section, values] of Object.entries(extra)) base[section] = { ...base[section], ...(values as Record<string, unknown>) };
  writeFileSync(config, JSON.stringify({ log_level: 'ERROR', ...base }));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--port', '0', '--data-dir', dataDir, '--config', config],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((ready, fail) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (match) ready(Number(match[1]));
    });
    child.once('exit', (code) => fail(new Error(`service exited with ${code}`)));
    setTimeout(() => fail(new Error('service did not start within 60 s')), 60_000).unref();
  });
  return {
    child,
    port,
    async stop() {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(forced);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

/** A socket whose messages are queued from the first, which may arrive in the same read as the upgrade. */
interface Peer {
  ws: WebSocket;
  next(timeoutMs?: number): Promise<any>;
}

function open(url: string, headers: Record<string, string> = {}): Promise<Peer> {
  const ws = new WebSocket(url, { headers });
  const queued: any[] = [];
  let waiting: ((message: any) => void) | undefined;
  ws.on('message', (raw) => {
    const message = JSON.parse(raw.toString());
    if (waiting) waiting(message);
    else queued.push(message);
  });
  const next = (timeoutMs = 10_000) =>
    queued.length > 0
      ? Promise.resolve(queued.shift())
      : new Promise<any>((done, fail) => {
          const timer = setTimeout(() => fail(new Error('no message')), timeoutMs);
          waiting = (message) => {
            clearTimeout(timer);
            waiting = undefined;
            done(message);
          };
        });
  return new Promise((ready, fail) => {
    ws.once('open', () => ready({ ws, next }));
    ws.once('error', fail);
  });
}

/** A paused read key asks for 30 histories of 50 metrics x 1000 samples (about 2.6 MB each). */
async function pausedReader(): Promise<string> {
  const service = await startService();
  try {
    const metrics = Array.from({ length: 50 }, (_, i) => `bulk_${i}`);
    for (let n = 0; n < 1000; n += 20) {
      const batch = metrics.flatMap((metric_name) => Array.from({ length: 20 }, (_, k) => ({ metric_name, value: n + k })));
      for (let i = 0; i < batch.length; i += 1000) {
        await fetch(`http://127.0.0.1:${service.port}/api/v1/metrics`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify(batch.slice(i, i + 1000)),
        });
      }
    }
    await delay(1500);
    const { ws, next } = await open(`ws://127.0.0.1:${service.port}/ws`, { authorization: `Bearer ${READ}` });
    await next();
    const before = rssMb(service.child.pid!);
    const closed = new Promise<number>((done) => ws.once('close', (code) => done(code)));
    (ws as unknown as { _socket: Socket })._socket.pause();
    for (let i = 0; i < 30; i += 1) ws.send(JSON.stringify({ type: 'request_data', id: `r${i}`, data: { metrics, history_minutes: 10 } }));
    let peak = before;
    for (const until = Date.now() + 20_000; Date.now() < until; ) {
      peak = Math.max(peak, rssMb(service.child.pid!));
      await delay(100);
    }
    const after = rssMb(service.child.pid!);
    (ws as unknown as { _socket: Socket })._socket.resume();
    const code = await Promise.race([closed, delay(20_000).then(() => 'still open after 20 s')]);
    ws.terminate();
    return `| paused reader, 30 x request_data (50 metrics x 1000 samples) | RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB (+${(peak - before).toFixed(0)} MB), ${after.toFixed(0)} MB after 20 s | close: ${code} |`;
  } finally {
    await service.stop();
  }
}

const FLOOD = 100;

/** 100 raw sockets (more than limits.max_unauthenticated_connections' 64) complete the upgrade, never send or answer a close frame, and reconnect at once; then 20 keys try to get in. */
async function flood(): Promise<string> {
  const service = await startService({ auth: { timeout_ms: 5000 }, limits: { max_connections: 50 } });
  const sockets = new Set<Socket>();
  let running = true;
  let upgrades = 0;
  const lifetimes: number[] = [];
  const openOne = () => {
    if (!running) return;
    const socket = tcpConnect(service.port, '127.0.0.1');
    sockets.add(socket);
    let upgradedAt = 0;
    socket.on('connect', () =>
      socket.write(
        'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ),
    );
    socket.on('data', (chunk) => {
      if (!upgradedAt && chunk.toString('latin1').startsWith('HTTP/1.1 101')) {
        upgradedAt = Date.now();
        upgrades += 1;
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      if (upgradedAt && running) lifetimes.push(Date.now() - upgradedAt);
      setImmediate(openOne);
    });
  };
  try {
    for (let i = 0; i < FLOOD; i += 1) openOne();
    while (upgrades < FLOOD) await delay(20);
    let header = 0;
    let message = 0;
    for (let i = 0; i < 10; i += 1) {
      const byHeader = await open(`ws://127.0.0.1:${service.port}/ws`, { authorization: `Bearer ${READ}` });
      if ((await byHeader.next()).data?.status === 'connected') header += 1;
      byHeader.ws.terminate();
      const byMessage = await open(`ws://127.0.0.1:${service.port}/ws`);
      byMessage.ws.send(JSON.stringify({ type: 'auth', data: { token: READ } }));
      if ((await byMessage.next()).data?.status === 'connected') message += 1;
      byMessage.ws.terminate();
    }
    for (const until = Date.now() + 45_000; lifetimes.length < FLOOD && Date.now() < until; ) await delay(100);
    const longest = lifetimes.length ? Math.max(...lifetimes) : 0;
    return `| flood: ${FLOOD} silent sockets reconnecting on close (max_connections 50, auth.timeout_ms 5000) | keys admitted: ${header}/10 in the header, ${message}/10 by auth message | the first ${FLOOD} flood sockets cut after at most ${(longest / 1000).toFixed(1)} s (${lifetimes.length} cut within 45 s) |`;
  } finally {
    running = false;
    for (const socket of sockets) socket.destroy();
    await service.stop();
  }
}

/** 3000 REST calls without a valid key while a subscriber watches api_response_time. */
async function restFlood(): Promise<string> {
  const service = await startService();
  try {
    const { ws, next } = await open(`ws://127.0.0.1:${service.port}/ws/performance`, { authorization: `Bearer ${READ}` });
    await next();
    let measured = 0;
    ws.on('message', (raw) => {
      if (JSON.parse(raw.toString()).data?.metric_name === 'api_response_time') measured += 1;
    });
    const statuses = new Map<number, number>();
    for (let i = 0; i < 3000; i += 1) {
      const response = await fetch(`http://127.0.0.1:${service.port}/api/v1/alerts`, {
        headers: { authorization: 'Bearer wrong-key-wrong-key' },
      });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
    await delay(1500);
    ws.terminate();
    return `| REST flood: 3000 calls with a wrong key | ${[...statuses].map(([status, n]) => `${n} x ${status}`).join(', ')} | api_response_time events to a subscriber: ${measured} |`;
  } finally {
    await service.stop();
  }
}

/** 600 subscribes, each a new pattern with ~1.6 KB of filters. */
async function subscriptionFlood(): Promise<string> {
  const service = await startService({ limits: { burst: 1000, messages_per_second: 1000 } });
  try {
    const { ws, next } = await open(`ws://127.0.0.1:${service.port}/ws`, { authorization: `Bearer ${READ}` });
    await next();
    const filters = Object.fromEntries(Array.from({ length: 16 }, (_, k) => [`field_${k}`, Array.from({ length: 10 }, (_, v) => `v${v}`)]));
    let sent = 0;
    let received = 0;
    let largest = 0;
    for (let i = 0; i < 600; i += 1) {
      const frame = JSON.stringify({ type: 'subscribe', id: `s${i}`, data: { events: [`performance.m${i}`], filters } });
      sent += Buffer.byteLength(frame);
      ws.send(frame);
      const length = Buffer.byteLength(JSON.stringify(await next(30_000)));
      received += length;
      largest = Math.max(largest, length);
    }
    ws.terminate();
    return `| subscription flood: 600 subscribes, a new pattern with 1.6 KB of filters each | ${(sent / 1024).toFixed(0)} KB in, ${(received / 1048576).toFixed(1)} MB out | largest reply ${(largest / 1024).toFixed(0)} KB |`;
  } finally {
    await service.stop();
  }
}

console.log(`fault figures for ${ROOT}, node ${process.version}\n`);
console.log('| attack | server | client sees |');
console.log('| --- | --- | --- |');
const attacks = { paused: pausedReader, flood, rest: restFlood, subscriptions: subscriptionFlood };
const only = process.env.FAULT_ONLY?.split(',');
for (const [name, run] of Object.entries(attacks)) if (!only || only.includes(name)) console.log(await run());
