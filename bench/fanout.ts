/**
 * Fan-out benchmark: qbt-monitor against a bare `ws` server broadcasting pre-serialized strings
 * (the ceiling), same subscriber process, same publishing loop, same ~300-byte envelopes.
 * Publishing is flow-controlled by what the subscribers have received (a window of messages in
 * flight), so both servers run flat out without unbounded buffering; latency is measured under that load.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { validateConfig } from '../src/config/validate.js';
import { createApp } from '../src/server/app.js';

const KEY = 'bench-key-0123456789abcdef';
const IN_FLIGHT_MESSAGES = 100_000;

export interface Target {
  name: string;
  start(): Promise<{ url: string; headers: Record<string, string>; subscribe?: object; publish(data: object): void; stop(): Promise<void> }>;
}

export function sample(i: number): object {
  return {
    cpu_percent: 37.4,
    memory_percent: 61.2,
    disk_usage_percent: 55.1,
    network_io: { bytes_sent: 1048576000 + i, bytes_recv: 2097152000 + i },
    process_count: 214,
    host: 'bench',
    bench_i: i,
    sent_at: performance.timeOrigin + performance.now(),
  };
}

export const bareWs: Target = {
  name: 'bare ws (ceiling)',
  async start() {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise((resolve) => wss.once('listening', resolve));
    const { port } = wss.address() as AddressInfo;
    let counter = 0;
    return {
      url: `ws://127.0.0.1:${port}/ws`,
      headers: {},
      publish(data) {
        counter += 1;
        const text = JSON.stringify({ type: 'performance', id: `perf_0123456789_${counter.toString(36)}`, timestamp: new Date().toISOString(), data, meta: {} });
        for (const client of wss.clients) client.send(text);
      },
      async stop() {
        for (const client of wss.clients) client.terminate();
        await new Promise((resolve) => wss.close(resolve));
      },
    };
  },
};

export const qbtMonitor: Target = {
  name: 'qbt-monitor',
  async start() {
    const dataDir = mkdtempSync(join(tmpdir(), 'qbtm-bench-'));
    const config = validateConfig(
      {
        log_level: 'ERROR',
        server: { port: 0 },
        auth: { api_keys: [{ name: 'bench', key: KEY, role: 'read' }] },
        limits: { max_connections: 100_000 },
      },
      'bench',
    );
    const app = await createApp({ config, dataDir, configPath: join(dataDir, 'config.json'), logger: pino({ level: 'error' }) });
    const { port } = await app.start();
    return {
      url: `ws://127.0.0.1:${port}/ws/performance`,
      headers: { Authorization: `Bearer ${KEY}` },
      // Every subscriber narrowed by a pattern and a filter: the matching path is exercised, not skipped.
      subscribe: { type: 'subscribe', data: { events: ['performance.system'], filters: { host: ['bench', 'other'] } } },
      publish: (data) => app.publish('performance.system', data as Record<string, unknown>),
      async stop() {
        await app.stop('bench');
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

export interface RunResult {
  target: string;
  subscribers: number;
  messagesPerSecond: number;
  p50: number;
  p99: number;
}

function nextMessage<T>(child: ChildProcess, kind: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { kind: string; error?: string }) => {
      if (message.kind === kind) {
        child.off('message', onMessage);
        resolve(message as T);
      } else if (message.kind === 'failed') {
        child.off('message', onMessage);
        reject(new Error(message.error));
      }
    };
    child.on('message', onMessage);
  });
}

/** One measured run: N subscribers in a child process, publishing flat out for `seconds`. */
export async function runOnce(target: Target, subscribers: number, seconds: number): Promise<RunResult> {
  const server = await target.start();
  const child = fork(join(import.meta.dirname, 'subscribers.ts'), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  try {
    let received = 0;
    child.on('message', (m: { kind: string; received?: number }) => {
      if (m.kind === 'progress') received = m.received ?? received;
    });
    child.send({ kind: 'connect', url: server.url, count: subscribers, headers: server.headers, subscribe: server.subscribe });
    await nextMessage(child, 'ready');
    child.send({ kind: 'start' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    let published = 0;
    const started = performance.now();
    const until = started + seconds * 1000;
    const window = Math.max(4, Math.floor(IN_FLIGHT_MESSAGES / subscribers));
    while (performance.now() < until) {
      if ((published - received / subscribers) < window) {
        published += 1;
        server.publish(sample(published));
      } else {
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (published % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const elapsed = (performance.now() - started) / 1000;
    child.send({ kind: 'finish' });
    const result = await nextMessage<{ received: number; p50: number; p99: number }>(child, 'result');
    return { target: target.name, subscribers, messagesPerSecond: result.received / elapsed, p50: result.p50, p99: result.p99 };
  } finally {
    child.kill();
    await server.stop();
  }
}
