/**
 * One server under test in a process of its own, so that the CPU time and memory measured are its
 * alone: a bare `ws` server, qbt-monitor, a qbt-monitor cluster node, or a bus-only publisher on Redis.
 * argv: the target's kind, then for `node` and `publisher` the Redis URL, node id and key prefix.
 * IPC (see processes.ts): sends `listening`; answers `usage`; runs `publish` paced; takes `received`
 * (how many messages the subscribers have, for the window); on `stop` (or the parent gone) exits.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer } from 'ws';
import { connectRedisBus } from '../src/hub/redis/redis-bus.js';
import { newMessageId } from '../src/protocol/envelope.js';
import { type BenchEvent, burstEvents, publishBurst, startBenchServer } from './bench-server.js';
import type { PublishCommand, ServerCommand, ServerKind, ServerReport, Usage } from './processes.js';

// tsx turns source maps on; the service as shipped (compiled, run by node) has them off, and they make every Error dear.
process.setSourceMapsEnabled(false);

interface Target {
  url?: string;
  headers?: Record<string, string>;
  subscribe?: object;
  /** Publishes the events of one burst, in order, in one synchronous run. */
  publish?(events: BenchEvent[]): void;
  stop(): Promise<void>;
}

/** What the bare server greets each connection with: a pre-serialized text the size of qbt-monitor's acknowledgement. */
const HELLO = JSON.stringify({
  type: 'connection',
  id: 'connection_0123456789_hello',
  timestamp: new Date().toISOString(),
  data: {
    status: 'connected',
    client_id: 'bench-0000',
    server_time: new Date().toISOString(),
    role: 'read',
    endpoint: '/ws/performance',
    event_types: ['performance'],
    last_seq: 1764000000000000,
    epoch: '0123456789abcdef',
    heartbeat_interval_ms: 30000,
  },
});

/**
 * A plain `ws` app, the baseline: each event serialized once to a string, then one `send` of that
 * string per message per socket. No authentication, subscriptions, heartbeat or slow-reader bound.
 */
async function bareWs(): Promise<Target> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws) => ws.send(HELLO));
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    publish(events) {
      for (const { name, type, data } of events) {
        // The same envelope, byte for byte in shape, as qbt-monitor's: the subscribers parse equal loads.
        const text = JSON.stringify({ type, id: newMessageId(type), timestamp: new Date().toISOString(), data, meta: { event: name } });
        for (const client of wss.clients) client.send(text);
      }
    },
    async stop() {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

async function qbtMonitor(cluster?: { redis_url: string; node_id: string; key_prefix: string }): Promise<Target> {
  const { app, port, dataDir, key } = await startBenchServer(cluster);
  return {
    url: `ws://127.0.0.1:${port}/ws/performance`,
    headers: { Authorization: `Bearer ${key}` },
    // Every subscriber narrowed by a pattern and a filter: the matching path is exercised, not skipped.
    subscribe: { type: 'subscribe', data: { events: ['performance.*'], filters: { host: ['bench', 'other'] } } },
    publish: cluster ? undefined : (events) => publishBurst(app.publish, events),
    async stop() {
      await app.stop('bench');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A bus-only node: publishes into Redis, serves nobody. */
async function publisher(url: string, nodeId: string, keyPrefix: string): Promise<Target> {
  const bus = await connectRedisBus({ url, nodeId, keyPrefix, onError: (error) => console.error(error) });
  return {
    publish: (events) => publishBurst(bus.publish, events),
    stop: () => bus.close(),
  };
}

function start(kind: ServerKind, args: string[]): Promise<Target> {
  const [url = '', nodeId = '', keyPrefix = ''] = args;
  switch (kind) {
    case 'bare':
      return bareWs();
    case 'qbt-monitor':
      return qbtMonitor();
    case 'node':
      return qbtMonitor({ redis_url: url, node_id: nodeId, key_prefix: keyPrefix });
    case 'publisher':
      return publisher(url, nodeId, keyPrefix);
  }
}

function usage(collect: boolean): Usage {
  // --expose-gc: memory after a full collection is what the live objects take.
  if (collect) globalThis.gc?.();
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  // Linux counts the process's write system calls (write, writev...): what coalescing saves, free of the machine's load.
  const writes = Number(/syscw: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? Number.NaN);
  return { cpuMicros: cpu.user + cpu.system, writes, heap: memory.heapUsed, external: memory.external, rss: memory.rss };
}

/**
 * BENCH_PROFILE=<dir>: the CPU profile of the measured window (from one `usage` to the next), written
 * to <dir>/<kind>-<pid>.cpuprofile: where the time goes, without the start-up.
 */
const profileDir = process.env.BENCH_PROFILE;
let profiler: Session | undefined;
async function toggleProfile(): Promise<void> {
  if (!profileDir) return;
  if (!profiler) {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    return;
  }
  const { profile } = await profiler.post('Profiler.stop');
  mkdirSync(profileDir, { recursive: true });
  writeFileSync(join(profileDir, `${kind}-${process.pid}.cpuprofile`), JSON.stringify(profile));
  profiler.disconnect();
  profiler = undefined;
}

/** How many messages the subscribers have received: what the publishing window goes by. */
let received = 0;

/**
 * Publishes `bursts` bursts of `burst` events, one burst per tick at `burstsPerSecond`, each burst
 * one synchronous run (as a sampler's tick publishes its figures). A burst is skipped while more than
 * `window` events per subscriber are in flight, so a server that cannot keep up does not buffer without bound.
 */
async function publishPaced(target: Target, command: PublishCommand): Promise<ServerReport> {
  const { burstsPerSecond, burst, seconds, window, subscribers } = command;
  const period = 1000 / burstsPerSecond;
  const started = performance.now();
  let published = 0;
  let skipped = 0;
  for (let tick = 0; tick < seconds * burstsPerSecond; tick += 1) {
    const wait = started + tick * period - performance.now();
    // Behind schedule (a loaded machine): still yield, so that the loop's I/O runs between bursts.
    await (wait > 1 ? sleep(wait) : new Promise((resolve) => setImmediate(resolve)));
    if (published - received / subscribers > window) {
      skipped += 1;
      continue;
    }
    target.publish!(burstEvents(published, burst));
    published += burst;
  }
  return { kind: 'published', published, skipped };
}

const [kind, ...args] = process.argv.slice(2) as [ServerKind, ...string[]];
const target = await start(kind, args);
let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  stopping ??= target.stop().finally(() => process.exit(0));
  return stopping;
}

const send = (report: ServerReport) => process.send?.(report);
process.on('message', (command: ServerCommand) => {
  switch (command.kind) {
    case 'usage': {
      const reading = usage(command.collect);
      toggleProfile().then(() => send({ kind: 'usage', ...reading }));
      break;
    }
    case 'received':
      received = command.received;
      break;
    case 'publish':
      received = 0;
      publishPaced(target, command).then(send, (error: unknown) => send({ kind: 'failed', error: String(error) }));
      break;
    case 'stop':
      void stop();
      break;
  }
});
process.on('disconnect', () => void stop());
// The parent gone while this server started: nobody will ask it to stop.
if (!process.connected) void stop();
send({ kind: 'listening', url: target.url, headers: target.headers, subscribe: target.subscribe });
