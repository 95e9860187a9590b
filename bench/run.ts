/**
 * `npm run bench`: fan-out, idle memory per connection, connection churn and cluster latency, each
 * beside its baseline from the same run (a bare `ws` server; for the cluster, one process without
 * Redis), then torrent table deltas beside full rows every sync, in alternated rounds, medians. Every
 * server runs in a process of its own (server-process.ts; torrents.ts keeps its peer in another).
 * BENCH_ONLY=fanout|idle|churn|cluster|torrents (comma-separated) picks tables; BENCH_ROUNDS, BENCH_SECONDS,
 * BENCH_SUBSCRIBERS, BENCH_BURST, BENCH_RATE, BENCH_IN_FLIGHT, BENCH_IDLE_CONNECTIONS, BENCH_CHURN_CONCURRENCY,
 * BENCH_CLUSTER_SUBSCRIBERS, BENCH_TORRENTS, BENCH_TORRENT_STEPS tune them; BENCH_PROFILE=<dir> writes each
 * server's CPU profile of each measured window.
 */
import { cpus, loadavg } from 'node:os';
import { redisSkipReason, startRedis } from '../test/support/redis.js';
import { CLUSTER_SETUPS, clusterSetup } from './cluster.js';
import { churnOnce, type ChurnResult, idleOnce, type IdleResult } from './connections.js';
import { type FanOutOptions, type FanOutResult, fanOutOnce } from './fanout.js';
import { type Column, fmt, printHeader, printRows, roundRobin } from './table.js';
import { type TorrentsResult, torrentsOnce } from './torrents.js';

const env = process.env;
const ONLY = new Set((env.BENCH_ONLY ?? 'fanout,idle,churn,cluster,torrents').split(','));
const ROUNDS = Number(env.BENCH_ROUNDS ?? 5);
const counts = (value: string) => value.split(',').map(Number);
const options: FanOutOptions = {
  seconds: Number(env.BENCH_SECONDS ?? 4),
  burst: Number(env.BENCH_BURST ?? 4),
  deliveriesPerSecond: Number(env.BENCH_RATE ?? 40_000),
  inFlight: Number(env.BENCH_IN_FLIGHT ?? 20_000),
};
const BARE = 'bare ws';
const QBTM = 'qbt-monitor';

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
console.log(`node ${process.version}, ${cpus().length} CPUs, ${ROUNDS} alternated rounds per table, medians; load average ${load()}\n`);

const fanOutColumns: Column<FanOutResult>[] = [
  { heading: 'delivered msg/s', value: (r) => r.messagesPerSecond },
  { heading: 'server CPU µs/msg', value: (r) => r.cpuPerDelivery, digits: 2 },
  { heading: 'write calls/msg', value: (r) => r.writesPerDelivery, digits: 2 },
  { heading: 'p50 ms', value: (r) => r.p50, digits: 1 },
  { heading: 'p99 ms', value: (r) => r.p99, digits: 1 },
];

if (ONLY.has('fanout')) {
  const { seconds, burst, deliveriesPerSecond, inFlight } = options;
  console.log(
    `fan-out: bursts of ${burst} events per tick, paced to ${fmt(deliveriesPerSecond)} deliveries/s, at most ${fmt(inFlight)} messages in flight, ${seconds} s per run; CPU of the server process\n`,
  );
  const columns = [...fanOutColumns, { heading: 'CPU/msg ratio to bare', value: (r: FanOutResult) => r.cpuPerDelivery, ratio: true }];
  printHeader(['N', 'target'], columns);
  for (const n of counts(env.BENCH_SUBSCRIBERS ?? '100,1000,5000')) {
    const results = await roundRobin(
      [
        { name: BARE, run: () => fanOutOnce('bare', n, options) },
        { name: QBTM, run: () => fanOutOnce('qbt-monitor', n, options) },
      ],
      ROUNDS,
    );
    printRows([fmt(n)], results, BARE, columns);
  }
  console.log();
}

if (ONLY.has('idle')) {
  const connections = Number(env.BENCH_IDLE_CONNECTIONS ?? 2000);
  console.log(`idle connections: ${fmt(connections)} open (qbt-monitor: authenticated and acknowledged), memory after a full GC\n`);
  const columns: Column<IdleResult>[] = [
    { heading: 'heap + external bytes/connection', value: (r) => r.bytesPerConnection },
    { heading: 'RSS bytes/connection', value: (r) => r.rssPerConnection },
    { heading: 'bytes ratio to bare', value: (r) => r.bytesPerConnection, ratio: true },
  ];
  printHeader(['target'], columns);
  const results = await roundRobin(
    [
      { name: BARE, run: () => idleOnce('bare', connections) },
      { name: QBTM, run: () => idleOnce('qbt-monitor', connections) },
    ],
    ROUNDS,
  );
  printRows([], results, BARE, columns);
  console.log();
}

if (ONLY.has('churn')) {
  const concurrency = Number(env.BENCH_CHURN_CONCURRENCY ?? 16);
  console.log(`churn: open, first message, client close; ${concurrency} at a time, ${options.seconds} s per run\n`);
  const columns: Column<ChurnResult>[] = [
    { heading: 'connections/s', value: (r) => r.connectionsPerSecond },
    { heading: 'server CPU µs/connection', value: (r) => r.cpuPerConnection, digits: 1 },
    { heading: 'rate ratio to bare', value: (r) => r.connectionsPerSecond, ratio: true },
    { heading: 'CPU ratio to bare', value: (r) => r.cpuPerConnection, ratio: true },
  ];
  printHeader(['target'], columns);
  const results = await roundRobin(
    [
      { name: BARE, run: () => churnOnce('bare', options.seconds, concurrency) },
      { name: QBTM, run: () => churnOnce('qbt-monitor', options.seconds, concurrency) },
    ],
    ROUNDS,
  );
  printRows([], results, BARE, columns);
  console.log();
}

if (ONLY.has('cluster')) {
  const skip = redisSkipReason();
  if (skip) console.log(`cluster rows skipped: ${skip}`);
  else {
    const redis = await startRedis();
    try {
      console.log(`cluster: the fan-out's bursts and rate; CPU of every server process (nodes and publisher)\n`);
      const columns = [...fanOutColumns, { heading: 'p99 ratio to 1 process', value: (r: FanOutResult) => r.p99, ratio: true }];
      printHeader(['N', 'setup'], columns);
      for (const n of counts(env.BENCH_CLUSTER_SUBSCRIBERS ?? '1000')) {
        const setups = CLUSTER_SETUPS.map((name) => ({ name, run: () => clusterSetup(redis.url, name)(n, options) }));
        printRows([fmt(n)], await roundRobin(setups, ROUNDS), CLUSTER_SETUPS[0], columns);
      }
    } finally {
      await redis.stop();
    }
  }
  console.log();
}
if (ONLY.has('torrents')) {
  const steps = Number(env.BENCH_TORRENT_STEPS ?? 20);
  console.log(`torrents: 1% of N changing per step (one second of qBittorrent's changes), ${steps} steps per run; CPU of the server\n`);
  const NAIVE = 'naive: torrents/info, every row every sync';
  const columns: Column<TorrentsResult>[] = [
    { heading: 'server CPU ms/sync', value: (r) => r.cpuMsPerSync, digits: 2 },
    { heading: 'bytes/s to a client', value: (r) => r.bytesPerSync },
    { heading: 'table on connect bytes', value: (r) => r.tableBytes },
    { heading: 'full sync: longest event-loop block ms', value: (r) => r.fullSyncBlockMs, digits: 1 },
    { heading: 'bytes ratio to naive', value: (r) => r.bytesPerSync, ratio: true, digits: 3 },
    { heading: 'CPU ratio to naive', value: (r) => r.cpuMsPerSync, ratio: true },
  ];
  printHeader(['N', 'target'], columns);
  for (const n of counts(env.BENCH_TORRENTS ?? '1000,10000')) {
    const results = await roundRobin(
      [
        { name: NAIVE, run: () => torrentsOnce('naive', n, steps) },
        { name: `${QBTM}: maindata deltas, torrent.updated`, run: () => torrentsOnce('qbt-monitor', n, steps) },
      ],
      ROUNDS,
    );
    printRows([fmt(n)], results, NAIVE, columns);
  }
  console.log();
}
console.log(`load average at the end: ${load()}`);
