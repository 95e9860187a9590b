/** The benchmarks' qbt-monitor server and the events they publish: bursts of performance figures, each stamped with its send time. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { validateConfig } from '../src/config/validate.js';
import type { CustomMetric, PublishEvent, SystemMetrics } from '../src/protocol/index.js';
import { type App, createApp } from '../src/server/app.js';

const KEY = 'bench-key-0123456789abcdef';

/** What every event of the bench carries for the subscribers: its number and its send time, and the host the filter picks. */
interface Stamp {
  host: string;
  bench_i: number;
  sent_at: number;
}

/** One event of a burst: a system sample or a custom metric, stamped. */
export type BenchEvent = { type: 'performance' } & (
  | { name: 'performance.system'; data: SystemMetrics & Stamp }
  | { name: `performance.bench_${number}`; data: CustomMetric & Stamp }
);

/** Publishes a burst's events, in order, in one synchronous run (as a sampler's tick publishes its figures). */
export function publishBurst(publish: PublishEvent, events: BenchEvent[]): void {
  for (const event of events) {
    if (event.name === 'performance.system') publish(event.name, event.data);
    else publish(event.name, event.data);
  }
}

/**
 * A burst as a tick of the service produces it: the system sample, then custom metrics (the
 * qBittorrent figures and posted metrics have that shape), all for host `bench`, all stamped now.
 */
export function burstEvents(first: number, size: number): BenchEvent[] {
  const sentAt = performance.timeOrigin + performance.now();
  const stamp = (i: number): Stamp => ({ host: 'bench', bench_i: first + i + 1, sent_at: sentAt });
  const events: BenchEvent[] = [];
  for (let k = 0; k < size; k += 1) {
    const { bench_i } = stamp(k);
    events.push(
      k === 0
        ? {
            type: 'performance',
            name: 'performance.system',
            data: {
              cpu_percent: 37.4,
              memory_percent: 61.2,
              disk_usage_percent: 55.1,
              network_io: { bytes_sent: 1048576000 + bench_i, bytes_recv: 2097152000 + bench_i },
              process_count: 214,
              ...stamp(k),
            },
          }
        : {
            type: 'performance',
            name: `performance.bench_${k}`,
            data: {
              metric_name: `bench_${k}`,
              value: 1000 + bench_i,
              unit: 'count',
              category: 'custom',
              tags: { source: 'bench' },
              ...stamp(k),
            },
          },
    );
  }
  return events;
}

/** A qbt-monitor server on a free port with the benchmark's key and no sampler of its own; `cluster` makes it a cluster node. */
export async function startBenchServer(cluster?: {
  redis_url: string;
  node_id: string;
  key_prefix: string;
}): Promise<{ app: App; port: number; dataDir: string; key: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'qbtm-bench-'));
  const config = validateConfig(
    {
      log_level: 'ERROR',
      server: { port: 0 },
      auth: { api_keys: [{ name: 'bench', key: KEY, role: 'read' }] },
      limits: { max_connections: 100_000 },
      // The bench publishes the samples itself: the host's own would add deliveries no subscriber times.
      metrics: { sample_system: false },
      ...(cluster ? { cluster } : {}),
    },
    'bench',
  );
  const app = await createApp({ config, dataDir, configPath: join(dataDir, 'config.json'), logger: pino({ level: 'error' }) });
  const { port } = await app.start();
  return { app, port, dataDir, key: KEY };
}
