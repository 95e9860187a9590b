/** CPU cost of sampling the system at 1 Hz: our sampler against a naive all-systeminformation one, as a percent of one core. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import si from 'systeminformation';
import { defaultMetricSource } from '../src/sources/system-metrics/metric-readers.js';
import { createSystemSampler } from '../src/sources/system-metrics/sampler.js';

// Run: cd /work/main && npx tsx bench/sampler-cost.ts [--seconds 20]
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' } } });
const seconds = Number(values.seconds);

type Contender = { name: string; sample: () => Promise<unknown> };

const contenders: Contender[] = [
  // What any Node process ticking once a second costs, for reference; running first, it also absorbs the
  // garbage collection that follows start-up.
  { name: 'baseline (1 Hz timer, no sampling)', sample: async () => undefined },
  { name: `qbt-monitor sampler (${defaultMetricSource()})`, sample: createSystemSampler().sample },
];
if (defaultMetricSource() === 'procfs') {
  // The path macOS and Windows take, here running systeminformation's Linux code: shows what the rate limit saves.
  contenders.push({ name: 'qbt-monitor sampler (portable)', sample: createSystemSampler({ source: 'portable' }).sample });
}
contenders.push({
  name: 'naive systeminformation',
  sample: () => Promise.all([si.currentLoad(), si.mem(), si.fsSize(), si.networkStats('*'), si.processes()]),
});

/** CPU time (ms) of this process, and of its exited children (Linux: /proc/self/stat cutime + cstime), which process.cpuUsage() leaves out. */
const childrenCpuMs = childrenCpuReader();
function cpuSnapshot() {
  const { user, system } = process.cpuUsage();
  return { wallMs: performance.now(), ownMs: (user + system) / 1000, childrenMs: childrenCpuMs?.() };
}
type CpuSnapshot = ReturnType<typeof cpuSnapshot>;

function childrenCpuReader(): (() => number) | undefined {
  if (process.platform !== 'linux') return undefined;
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  return () => {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 (state) on
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / ticksPerSecond;
  };
}

/** One sample per second for `seconds` seconds, after one unmeasured sample that primes the sampler. */
async function measure(contender: Contender): Promise<CpuSnapshot[]> {
  await contender.sample();
  const snapshots: CpuSnapshot[] = [];
  const startedAt = performance.now();
  for (let second = 0; second <= seconds; second++) {
    await delay(Math.max(0, startedAt + second * 1000 - performance.now()));
    snapshots.push(cpuSnapshot());
    if (second < seconds) await contender.sample();
  }
  return snapshots;
}

function percentsPerSecond(snapshots: CpuSnapshot[], cpuMs: (snapshot: CpuSnapshot) => number): number[] {
  return snapshots.slice(1).map((snapshot, index) => {
    const previous = snapshots[index] as CpuSnapshot;
    return ((cpuMs(snapshot) - cpuMs(previous)) / (snapshot.wallMs - previous.wallMs)) * 100;
  });
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function mean(numbers: number[]): number {
  return numbers.reduce((sum, value) => sum + value, 0) / numbers.length;
}

const format = (percent: number) => `${percent.toFixed(3)}%`;

console.log(`Sampling at 1 Hz for ${seconds} s per sampler on ${process.platform}, Node ${process.version}.`);
console.log('CPU time per wall second, as a percent of one core (median of per-second values; mean in parentheses).');
for (const contender of contenders) {
  const snapshots = await measure(contender);
  const own = percentsPerSecond(snapshots, (snapshot) => snapshot.ownMs);
  let line = `${contender.name.padEnd(40)} this process: ${format(median(own))} (${format(mean(own))})`;
  if (childrenCpuMs) {
    const withChildren = percentsPerSecond(snapshots, (snapshot) => snapshot.ownMs + (snapshot.childrenMs ?? 0));
    line += `   with child processes: ${format(median(withChildren))} (${format(mean(withChildren))})`;
  }
  console.log(line);
}
