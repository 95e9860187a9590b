/** The raw readings a system sampler turns into percentages and rates, and where they come from. */

/** `procfs`: Linux's /proc, no child processes. `portable`: `os` and systeminformation, for every other platform. */
export type MetricSource = 'procfs' | 'portable';

export function defaultMetricSource(): MetricSource {
  return process.platform === 'linux' ? 'procfs' : 'portable';
}

/** Cumulative CPU time, in any unit: only ratios of differences between two readings are used. */
export type CpuTimes = { busy: number; total: number };

export type CpuReading = { all: CpuTimes; cores: CpuTimes[] };

export type MemoryReading = { totalBytes: number; availableBytes: number };

/** Byte counters since boot over every non-loopback interface; `readAt` is `performance.now()` when read. */
export type NetworkReading = { bytesSent: number; bytesRecv: number; readAt: number };

export interface MetricReaders {
  cpuTimes(): Promise<CpuReading>;
  memory(): Promise<MemoryReading>;
  /** May return the very same reading again when the platform's figure is costly to read (see portable.ts). */
  networkTotals(): Promise<NetworkReading>;
  processCount(): Promise<number>;
}
