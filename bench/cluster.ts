/**
 * Cluster benchmark (`npx tsx bench/cluster.ts`): delivered messages per second with the subscribers
 * all on one node versus spread over two, in the same run, beside one process without Redis. Each node
 * is a process of its own on one throwaway redis-server; a bus-only publisher node publishes
 * flow-controlled performance events, which reach the nodes over Redis pub/sub.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { connectRedisBus } from '../src/hub/redis/redis-bus.js';
import { startRedis } from '../test/support/redis.js';
import { forkSubscribers, KEY, measure, qbtMonitor, runOnce, type RunResult, SUBSCRIBE, type SubscriberProcess } from './fanout.js';

const SUBSCRIBERS = (process.env.BENCH_SUBSCRIBERS ?? '1000,4000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);

let runs = 0;

async function startNode(redisUrl: string, nodeId: string, keyPrefix: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(join(import.meta.dirname, 'cluster-node.ts'), [redisUrl, nodeId, keyPrefix], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const [message] = (await once(child, 'message')) as [{ kind: string; port: number }];
  return { child, port: message.port };
}

async function stopNode(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.send({ kind: 'stop' });
  await exited;
}

/** One measured run: `subscribers` split evenly over `nodes` node processes, each with its own subscriber process. */
async function runCluster(redisUrl: string, nodes: number, subscribers: number, seconds: number): Promise<RunResult> {
  runs += 1;
  const keyPrefix = `bench-${runs}`;
  const started = await Promise.all(Array.from({ length: nodes }, (_, i) => startNode(redisUrl, `node-${i + 1}`, keyPrefix)));
  const publisher = await connectRedisBus({ url: redisUrl, nodeId: 'bench-publisher', keyPrefix, onError: (error) => console.error(error) });
  const groups: SubscriberProcess[] = [];
  try {
    for (const { port } of started) {
      const url = `ws://127.0.0.1:${port}/ws/performance`;
      groups.push(await forkSubscribers({ url, count: subscribers / nodes, headers: { Authorization: `Bearer ${KEY}` }, subscribe: SUBSCRIBE }));
    }
    const result = await measure(groups, subscribers, seconds, (data) => publisher.publish('performance.system', data as Record<string, unknown>));
    return { target: `${nodes} node${nodes > 1 ? 's' : ''} on Redis`, ...result };
  } finally {
    for (const group of groups) group.kill();
    await publisher.close();
    await Promise.all(started.map(({ child }) => stopNode(child)));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const redis = await startRedis();
try {
  console.log(`cluster fan-out: ${ROUNDS} rounds x ${SECONDS} s per setup and N; medians; node ${process.version}; ${cpus().length} CPUs\n`);
  console.log('| N | setup | delivered msg/s | p50 ms | p99 ms | ratio to 1 node on Redis |');
  console.log('| ---: | --- | ---: | ---: | ---: | ---: |');
  for (const n of SUBSCRIBERS) {
    const setups: Array<{ name: string; run: () => Promise<RunResult> }> = [
      { name: '1 process, no Redis', run: () => runOnce(qbtMonitor, n, SECONDS) },
      { name: '1 node on Redis', run: () => runCluster(redis.url, 1, n, SECONDS) },
      { name: '2 nodes on Redis', run: () => runCluster(redis.url, 2, n, SECONDS) },
    ];
    const results = new Map<string, RunResult[]>(setups.map(({ name }) => [name, []]));
    // Round by round through the setups, so that drift on a shared machine hits them alike.
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const { name, run } of setups) results.get(name)!.push(await run());
    }
    const oneNode = median(results.get('1 node on Redis')!.map((r) => r.messagesPerSecond));
    for (const [name, runsOfSetup] of results) {
      const rate = median(runsOfSetup.map((r) => r.messagesPerSecond));
      const p50 = median(runsOfSetup.map((r) => r.p50));
      const p99 = median(runsOfSetup.map((r) => r.p99));
      console.log(`| ${fmt(n)} | ${name} | ${fmt(rate)} | ${fmt(p50, 1)} | ${fmt(p99, 1)} | ${(rate / oneNode).toFixed(2)} |`);
    }
  }
} finally {
  await redis.stop();
}
