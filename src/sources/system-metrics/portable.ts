/** Figures for macOS, Windows and other non-Linux systems, from `os` and systeminformation; readings that spawn a process are rate-limited. */
import os from 'node:os';
import si from 'systeminformation';
import type { CpuReading, CpuTimes, MemoryReading, MetricReaders, NetworkReading } from './metric-readers.js';

/** On Windows systeminformation goes through PowerShell, whose every start costs far more CPU than ps or netstat. */
export const DEFAULT_COSTLY_READ_INTERVAL_SEC = process.platform === 'win32' ? 60 : 15;

/**
 * systeminformation reads memory (macOS: vm_stat, sysctl), network counters (netstat or PowerShell per interface)
 * and the process list (ps or PowerShell) by spawning processes, far too costly once a second; those readings are
 * taken at most once per `costlyReadIntervalMs` and reused in between. CPU times come from `os.cpus()`, cheap everywhere.
 */
export function createPortableReaders(costlyReadIntervalMs: number): MetricReaders {
  return {
    cpuTimes: async () => cpuTimesFromOs(),
    // On Windows os.freemem() is the available physical memory (GlobalMemoryStatusEx); on macOS and the BSDs it
    // counts only free pages, far below what is available, so systeminformation works it out.
    memory: process.platform === 'win32' ? async () => memoryFromOs() : reuseFor(costlyReadIntervalMs, memoryFromSystemInformation),
    networkTotals: reuseFor(costlyReadIntervalMs, networkTotalsFromSystemInformation),
    processCount: reuseFor(costlyReadIntervalMs, async () => (await si.processes()).all),
  };
}

function cpuTimesFromOs(): CpuReading {
  const cores = os.cpus().map(({ times }): CpuTimes => {
    const busy = times.user + times.nice + times.sys + times.irq;
    return { busy, total: busy + times.idle };
  });
  const all = cores.reduce((sum, core) => ({ busy: sum.busy + core.busy, total: sum.total + core.total }), { busy: 0, total: 0 });
  return { all, cores };
}

function memoryFromOs(): MemoryReading {
  return { totalBytes: os.totalmem(), availableBytes: os.freemem() };
}

async function memoryFromSystemInformation(): Promise<MemoryReading> {
  const { total, available } = await si.mem();
  return { totalBytes: total, availableBytes: available };
}

async function networkTotalsFromSystemInformation(): Promise<NetworkReading> {
  const loopbacks = loopbackInterfaceNames();
  const stats = await si.networkStats('*');
  const readAt = performance.now();
  let bytesSent = 0;
  let bytesRecv = 0;
  for (const { iface, tx_bytes, rx_bytes } of stats) {
    if (loopbacks.has(iface)) continue;
    bytesSent += Number.isFinite(tx_bytes) ? tx_bytes : 0; // NaN when a counter could not be parsed
    bytesRecv += Number.isFinite(rx_bytes) ? rx_bytes : 0;
  }
  return { bytesSent, bytesRecv, readAt };
}

function loopbackInterfaceNames(): Set<string> {
  const interfaces = Object.entries(os.networkInterfaces());
  return new Set(interfaces.filter(([, addresses]) => addresses?.some((address) => address.internal)).map(([name]) => name));
}

/** Wraps a costly read so it runs at most once per `intervalMs`; calls in between get the last result. A failed read is retried on the next call. */
function reuseFor<T>(intervalMs: number, read: () => Promise<T>): () => Promise<T> {
  let last: { startedAt: number; result: Promise<T> } | undefined;
  return () => {
    const now = performance.now();
    if (!last || now - last.startedAt >= intervalMs) {
      const current = { startedAt: now, result: read() };
      current.result.catch(() => {
        if (last === current) last = undefined;
      });
      last = current;
    }
    return last.result;
  };
}
