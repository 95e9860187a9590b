/**
 * Idle cost of the whole service: `qbt-monitor serve` at metrics.interval 1 s with no client, its CPU time
 * (user + system, from /proc/<pid>/stat) over a window after a warm-up, as a percent of one core. Linux only.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';

// Run: cd /work/main && npm run build && npx tsx bench/idle-cost.ts [--seconds 30] [--warmup 10]
// --polling: clipboard.watch_changes off (adaptive polling at check_interval 1 s instead of XFIXES notifications).
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '10' },
    polling: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const MAIN = resolve(import.meta.dirname, '../dist/cli/main.js');

if (process.platform !== 'linux') throw new Error('reads /proc/<pid>/stat: Linux only');
if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (the figure is for the built service, not tsx)`);

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces), numbered from 3 (state); undefined once it is gone. */
function statFields(pid: number): number[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
  } catch {
    return undefined;
  }
}

/**
 * utime + stime of a process and of its waited-for children, plus those of its live descendants (the
 * clipboard's change-notification helper runs as long as the service), in seconds.
 */
function cpuSeconds(pid: number): number {
  const [utime = 0, stime = 0, cutime = 0, cstime = 0] = statFields(pid)?.slice(11, 15) ?? [];
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((child) => statFields(child)?.[1] === pid);
  return (utime + stime + cutime + cstime) / clockTicks + children.reduce((sum, child) => sum + cpuSeconds(child), 0);
}

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

const dataDir = mkdtempSync(join(os.tmpdir(), 'qbtm-idle-'));
const config = join(dataDir, 'config.json');
writeFileSync(
  config,
  JSON.stringify({
    log_level: 'WARNING',
    metrics: { interval: 1 },
    clipboard: { watch_changes: !values.polling },
    auth: { api_keys: [{ name: 'bench', key: 'bench-key-0123456789abcdef', role: 'admin' }] },
  }),
);
const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', '--data-dir', dataDir, '--config', config], {
  stdio: ['ignore', 'inherit', 'pipe'],
});
try {
  await new Promise<void>((ready, fail) => {
    child.stderr.on('data', (chunk: Buffer) => chunk.toString().includes('listening on') && ready());
    child.once('exit', (code) => fail(new Error(`service exited with ${code}`)));
  });
  await delay(warmup * 1000);
  const [cpuBefore, startedAt] = [cpuSeconds(child.pid!), performance.now()];
  await delay(seconds * 1000);
  const [cpuAfter, elapsed] = [cpuSeconds(child.pid!), (performance.now() - startedAt) / 1000];
  const percent = ((cpuAfter - cpuBefore) / elapsed) * 100;

  const [cpu] = os.cpus();
  const clipboard = process.env.DISPLAY
    ? values.polling
      ? `, clipboard polled on DISPLAY ${process.env.DISPLAY}`
      : `, clipboard watched on DISPLAY ${process.env.DISPLAY}`
    : ', no DISPLAY';
  console.log(`idle cost of qbt-monitor serve (metrics.interval 1 s, no clients${clipboard}), ${seconds} s after ${warmup} s warm-up`);
  console.log(
    `  CPU: ${percent.toFixed(2)}% of one core (${((cpuAfter - cpuBefore) * 1000).toFixed(0)} ms CPU in ${elapsed.toFixed(1)} s; clock tick ${1000 / clockTicks} ms)`,
  );
  console.log(`  RSS: ${rssMb(child.pid!).toFixed(0)} MB`);
  console.log(
    `  machine: ${os.cpus().length} x ${cpu?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, Linux ${os.release()}, node ${process.version}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  child.kill('SIGTERM');
  await new Promise((done) => child.once('exit', done));
  rmSync(dataDir, { recursive: true, force: true });
}
