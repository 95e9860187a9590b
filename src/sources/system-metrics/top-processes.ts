/** The processes using the most of a resource, named in an alert when it fires (not sampled continuously, so it may take a moment). */
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import si from 'systeminformation';
import { defaultMetricSource, type MetricSource } from './metric-readers.js';
import { listPids, readCpuTimes, readMemory, readProcessStat, readProcessRss, readProcessWriteBytes } from './procfs.js';

/**
 * `disk` ranks processes by bytes written to storage per second: a disk that is filling up is explained by who
 * writes to it, not by who holds memory. Only Linux exposes that per process (/proc/<pid>/io, and only for this
 * user's processes unless run as root); elsewhere `disk` returns an empty list.
 */
export type ProcessResource = 'cpu' | 'memory' | 'disk';

export type TopProcess = {
  name: string;
  pid: number;
  /** Share of the whole machine's CPU time (all cores) over the measurement window, 0-100, like `cpu_percent`. */
  cpu_percent?: number;
  /** Resident memory as a share of physical memory. */
  memory_percent?: number;
  /** Bytes written to storage per second over the measurement window. */
  write_bytes_per_sec?: number;
};

/** CPU and disk writes are measured as the difference of two readings this far apart. */
const MEASUREMENT_WINDOW_MS = 500;
/** Just past the 500 ms within which systeminformation hands back its previous process list. */
const SYSTEMINFORMATION_WINDOW_MS = 600;

type ProcessUsage = { pid: number; name: string; value: number };

/** The `n` processes using the most of `resource`, largest first; processes using none of it are left out. */
export async function topProcesses(
  resource: ProcessResource,
  n = 5,
  { source = defaultMetricSource() }: { source?: MetricSource } = {},
): Promise<TopProcess[]> {
  const usage = source === 'procfs' ? await procfsUsage(resource) : await systemInformationUsage(resource);
  return usage
    .filter((entry) => entry.value > 0)
    .sort((a, b) => b.value - a.value)
    .slice(0, n)
    .map(({ pid, name, value }) => ({ name, pid, ...measure(resource, value) }));
}

function measure(resource: ProcessResource, value: number): Omit<TopProcess, 'name' | 'pid'> {
  switch (resource) {
    case 'cpu':
      return { cpu_percent: Math.round(value * 10) / 10 };
    case 'memory':
      return { memory_percent: Math.round(value * 10) / 10 };
    case 'disk':
      return { write_bytes_per_sec: Math.round(value) };
  }
}

async function procfsUsage(resource: ProcessResource): Promise<ProcessUsage[]> {
  const pids = listPids();
  switch (resource) {
    case 'cpu':
      return procfsCpuUsage(pids);
    case 'memory':
      return procfsMemoryUsage(pids);
    case 'disk':
      return procfsWriteRates(pids);
  }
}

async function procfsCpuUsage(pids: number[]): Promise<ProcessUsage[]> {
  const readAll = async () => ({ machine: readCpuTimes(), processes: await Promise.all(pids.map(readProcessStat)) });
  const { machine: machineBefore, processes: before } = await readAll();
  await delay(MEASUREMENT_WINDOW_MS);
  const { machine: machineAfter, processes: after } = await readAll();
  const machineElapsed = machineAfter.all.total - machineBefore.all.total; // jiffies over all cores, as the per-process figures
  return pids.flatMap((pid, index) => {
    const [first, second] = [before[index], after[index]];
    if (!first || !second || machineElapsed <= 0) return [];
    return [{ pid, name: second.name, value: ((second.cpuTime - first.cpuTime) / machineElapsed) * 100 }];
  });
}

async function procfsMemoryUsage(pids: number[]): Promise<ProcessUsage[]> {
  const { totalBytes } = readMemory();
  const processes = await Promise.all(pids.map(readProcessRss));
  return pids.flatMap((pid, index) => {
    const rss = processes[index];
    return rss ? [{ pid, name: rss.name, value: (rss.rssBytes / totalBytes) * 100 }] : [];
  });
}

async function procfsWriteRates(pids: number[]): Promise<ProcessUsage[]> {
  const startedAt = performance.now();
  const before = await Promise.all(pids.map(readProcessWriteBytes));
  await delay(MEASUREMENT_WINDOW_MS);
  const [after, named] = await Promise.all([Promise.all(pids.map(readProcessWriteBytes)), Promise.all(pids.map(readProcessStat))]);
  const elapsedSec = (performance.now() - startedAt) / 1000;
  return pids.flatMap((pid, index) => {
    const [first, second, name] = [before[index], after[index], named[index]?.name];
    if (first === undefined || second === undefined || name === undefined) return [];
    return [{ pid, name, value: (second - first) / elapsedSec }];
  });
}

async function systemInformationUsage(resource: ProcessResource): Promise<ProcessUsage[]> {
  // Its list can be a few hundred milliseconds old (it spawns ps or PowerShell, and reuses a list for 500 ms):
  // processes that exited since are left out.
  return (await systemInformationListing(resource)).filter(({ pid }) => isRunning(pid));
}

async function systemInformationListing(resource: ProcessResource): Promise<ProcessUsage[]> {
  switch (resource) {
    case 'cpu': {
      // Its CPU figures cover the time since its previous call (on Windows; ps's recent average on macOS), so
      // a first call starts the window.
      await si.processes();
      await delay(SYSTEMINFORMATION_WINDOW_MS);
      // macOS's ps reports a share of one core; bring it to a share of the machine like the other platforms.
      const perCore = process.platform === 'darwin' ? os.cpus().length : 1;
      return (await si.processes()).list.map(({ pid, name, cpu }) => ({ pid, name, value: cpu / perCore }));
    }
    case 'memory': {
      // Resident size (KiB), not its `mem` share: ps rounds that to one decimal, so most processes read 0.0.
      const totalBytes = os.totalmem();
      return (await si.processes()).list.map(({ pid, name, memRss }) => ({ pid, name, value: ((memRss * 1024) / totalBytes) * 100 }));
    }
    case 'disk':
      return [];
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only checks that the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // it exists, but is not ours to signal
  }
}
