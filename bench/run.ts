/** `npm run bench`: the fan-out comparison (qbt-monitor vs bare ws) at N = 100, 1000, 5000, medians of several rounds. */
import { bareWs, qbtMonitor, runOnce, type RunResult } from './fanout.js';

const SUBSCRIBERS = (process.env.BENCH_SUBSCRIBERS ?? '100,1000,5000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

console.log(`fan-out: ${ROUNDS} rounds x ${SECONDS} s per target and N; medians; node ${process.version}\n`);
console.log('| N | target | delivered msg/s | p50 ms | p99 ms | ratio to bare |');
console.log('| ---: | --- | ---: | ---: | ---: | ---: |');
for (const n of SUBSCRIBERS) {
  const runs: Record<string, RunResult[]> = { bare: [], ours: [] };
  // Alternate the targets round by round so drift on a shared machine hits both alike.
  for (let round = 0; round < ROUNDS; round += 1) {
    runs.bare!.push(await runOnce(bareWs, n, SECONDS));
    runs.ours!.push(await runOnce(qbtMonitor, n, SECONDS));
  }
  const bareRate = median(runs.bare!.map((r) => r.messagesPerSecond));
  for (const [key, name] of [['bare', bareWs.name], ['ours', qbtMonitor.name]] as const) {
    const rate = median(runs[key]!.map((r) => r.messagesPerSecond));
    const p50 = median(runs[key]!.map((r) => r.p50));
    const p99 = median(runs[key]!.map((r) => r.p99));
    console.log(`| ${fmt(n)} | ${name} | ${fmt(rate)} | ${fmt(p50, 1)} | ${fmt(p99, 1)} | ${(rate / bareRate).toFixed(2)} |`);
  }
}
