/**
 * `npm run bench`: fan-out against a bare `ws` server (the ceiling) at N = 100, 1000, 5000, then the
 * cluster rows (subscribers on one node vs spread over two, on one Redis). Medians of several rounds.
 * BENCH_ONLY=fanout|cluster, BENCH_SUBSCRIBERS, BENCH_CLUSTER_SUBSCRIBERS, BENCH_ROUNDS, BENCH_SECONDS tune it.
 */
import { redisSkipReason } from '../test/support/redis.js';
import { clusterBench } from './cluster.js';
import { bareWs, qbtMonitor, runOnce } from './fanout.js';
import { printRows, roundRobin } from './table.js';

const ONLY = process.env.BENCH_ONLY;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const counts = (value: string) => value.split(',').map(Number);

if (ONLY !== 'cluster') {
  console.log(`fan-out: ${ROUNDS} rounds x ${SECONDS} s per target and N; medians; node ${process.version}\n`);
  console.log('| N | target | delivered msg/s | p50 ms | p99 ms | ratio to bare |');
  console.log('| ---: | --- | ---: | ---: | ---: | ---: |');
  for (const n of counts(process.env.BENCH_SUBSCRIBERS ?? '100,1000,5000')) {
    const results = await roundRobin(
      [
        { name: bareWs.name, run: () => runOnce(bareWs, n, SECONDS) },
        { name: qbtMonitor.name, run: () => runOnce(qbtMonitor, n, SECONDS) },
      ],
      ROUNDS,
    );
    printRows(n, results, bareWs.name);
  }
  console.log();
}

if (ONLY !== 'fanout') {
  const skip = redisSkipReason();
  if (skip) console.log(`cluster rows skipped: ${skip}`);
  else await clusterBench(counts(process.env.BENCH_CLUSTER_SUBSCRIBERS ?? '1000,4000'), ROUNDS, SECONDS);
}
