/**
 * Fan-out: N subscribers (a process of their own) receive bursts of performance events from the
 * server under test (a process of its own, publishing them itself, paced). Measured: the server
 * process's CPU time per delivered message, publish-to-receive latency, and the delivered rate.
 */
import { forkSubscribers, type ServerKind, type ServerProcess, startServerProcess, type SubscriberProcess } from './processes.js';

export interface FanOutOptions {
  seconds: number;
  /** Events per burst (one tick's figures). */
  burst: number;
  /** Deliveries a second asked of the server: bursts are paced to N x burst x rate = this. */
  deliveriesPerSecond: number;
  /** Messages in flight over all subscribers at most (published, not yet received); at least 4 bursts per subscriber. */
  inFlight: number;
}

export interface FanOutResult {
  subscribers: number;
  messagesPerSecond: number;
  /** Server CPU time (user + system) per message delivered, µs. */
  cpuPerDelivery: number;
  /** Write system calls of the server per message delivered. */
  writesPerDelivery: number;
  p50: number;
  p99: number;
  /** Bursts skipped because the subscribers were a window behind. */
  skipped: number;
}

const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Publishes paced bursts for `seconds` through `publisher`, the subscriber groups receiving from
 * `servers`; waits (bounded) until everything published has arrived, then reads the CPU time the
 * servers (and the publisher, if it is a process of its own) used.
 */
export async function measure(
  publisher: ServerProcess,
  servers: ServerProcess[],
  groups: SubscriberProcess[],
  subscribers: number,
  options: FanOutOptions,
): Promise<FanOutResult> {
  const counted = [...new Set([publisher, ...servers])];
  const received = () => groups.reduce((sum, group) => sum + group.received, 0);
  for (const group of groups) group.onProgress(() => publisher.received(received()));
  for (const group of groups) group.start();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const before = await Promise.all(counted.map((p) => p.usage()));
  const started = performance.now();
  const { published, skipped } = await publisher.publish({
    burstsPerSecond: options.deliveriesPerSecond / (subscribers * options.burst),
    burst: options.burst,
    seconds: options.seconds,
    window: Math.max(4 * options.burst, Math.floor(options.inFlight / subscribers)),
    subscribers,
  });
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  while (received() < published * subscribers && performance.now() < deadline) {
    await Promise.race(groups.map((group) => group.progressed()));
  }
  const elapsed = (performance.now() - started) / 1000;
  const after = await Promise.all(counted.map((p) => p.usage()));
  const results = await Promise.all(groups.map((group) => group.finish()));
  const delivered = results.reduce((sum, result) => sum + result.received, 0);
  const spent = (key: 'cpuMicros' | 'writes') => after.reduce((sum, usage, i) => sum + usage[key] - before[i]![key], 0);
  return {
    subscribers,
    messagesPerSecond: delivered / elapsed,
    cpuPerDelivery: spent('cpuMicros') / delivered,
    writesPerDelivery: spent('writes') / delivered,
    // Over every subscriber process's samples together (each samples its messages evenly): every delivery weighs alike.
    ...percentiles(results.flatMap((result) => result.latencies)),
    skipped,
  };
}

function percentiles(latencies: number[]): { p50: number; p99: number } {
  const sorted = latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  return { p50: at(50), p99: at(99) };
}

/** One measured run against one server process: N subscribers in one subscriber process. */
export async function fanOutOnce(kind: ServerKind, subscribers: number, options: FanOutOptions): Promise<FanOutResult> {
  const server = await startServerProcess(kind);
  let group: SubscriberProcess | undefined;
  try {
    group = await forkSubscribers({ url: server.url, count: subscribers, headers: server.headers, subscribe: server.subscribe });
    return await measure(server, [server], [group], subscribers, options);
  } finally {
    group?.kill();
    await server.stop();
  }
}
