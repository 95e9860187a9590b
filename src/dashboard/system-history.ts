/**
 * The system samples of the last minutes as columns sharing one time axis (what uPlot draws), from
 * request_data history and live samples; where samples stopped coming (the service down, or not
 * sampling) a row of nulls breaks the lines, and the gap is listed.
 */
import type { DataReply, SystemMetrics } from '../client/index.js';

export const HISTORY_MINUTES = 10;
const WINDOW_SECONDS = HISTORY_MINUTES * 60;
/** Until the history says otherwise: the server's default sampling interval. */
const DEFAULT_SPACING_SECONDS = 1;

type Column = Array<number | null>;
type Row = { cpu: number | null; memory: number | null; disk: number | null; sent: number | null; recv: number | null };

/** A stretch without samples: from the last sample before it to the first after it (Unix seconds). */
export interface Gap {
  from: number;
  to: number;
}

/** Each column of a row and the metric it is, as request_data names it. */
const METRIC_OF: ReadonlyArray<readonly [keyof Row, string]> = [
  ['cpu', 'cpu_percent'],
  ['memory', 'memory_percent'],
  ['disk', 'disk_usage_percent'],
  ['sent', 'network_io.bytes_sent'],
  ['recv', 'network_io.bytes_recv'],
];

/** The history request: the metrics the charts draw. */
export const HISTORY_METRICS = METRIC_OF.map(([, metric]) => metric);

const NO_ROW: Row = { cpu: null, memory: null, disk: null, sent: null, recv: null };

/**
 * Samples further apart than this are two sides of a gap: three sampling intervals, and at least two
 * seconds more than one (a busy machine delays a sample now and then without anything being down).
 */
export function gapThreshold(spacingSeconds: number): number {
  return Math.max(3 * spacingSeconds, spacingSeconds + 2);
}

export class SystemHistory {
  /** Unix seconds, increasing. */
  readonly times: number[] = [];
  readonly cpu: Column = [];
  readonly memory: Column = [];
  readonly disk: Column = [];
  /** Bytes per second since the previous row (null on the first, after a gap, or where a counter is missing). */
  readonly sendRate: Column = [];
  readonly recvRate: Column = [];
  /** The cumulative counters the rates come from. */
  readonly #sent: Column = [];
  readonly #recv: Column = [];
  /** Whether each row is the null row that breaks the lines at a gap. */
  readonly #isGap: boolean[] = [];
  /** Seconds between samples, as the history showed them. */
  #spacing = DEFAULT_SPACING_SECONDS;

  /** Adds a live sample (`timeMs` from its envelope); one no newer than the last row replaces nothing and is dropped. */
  add(timeMs: number, sample: SystemMetrics): void {
    const time = timeMs / 1000;
    const last = this.times.at(-1);
    if (last !== undefined && time <= last) return;
    const { network_io: network } = sample;
    this.#pushAfterGap(time, {
      cpu: sample.cpu_percent,
      memory: sample.memory_percent,
      disk: sample.disk_usage_percent,
      sent: network.bytes_sent,
      recv: network.bytes_recv,
    });
    this.#trim();
  }

  /** Replaces what the history covers with it, keeping live rows newer than its last sample. */
  applyHistory(reply: DataReply): void {
    const rows = new Map<number, Row>();
    let step = 0;
    for (const [column, metric] of METRIC_OF) {
      const series = reply.metrics[metric];
      step = Math.max(step, series?.step_seconds ?? 0);
      for (const { timestamp, value } of series?.samples ?? []) {
        const time = Date.parse(timestamp) / 1000;
        const row = rows.get(time) ?? { ...NO_ROW };
        row[column] = value;
        rows.set(time, row);
      }
    }
    const historyEnd = Math.max(Number.NEGATIVE_INFINITY, ...rows.keys());
    const newer = this.#realRows().filter(([time]) => time > historyEnd);
    const sorted = [...rows].sort(([a], [b]) => a - b);
    this.#spacing = Math.max(step, medianSpacing(sorted.map(([time]) => time)) ?? DEFAULT_SPACING_SECONDS);
    this.clear();
    for (const [time, row] of [...sorted, ...newer]) this.#pushAfterGap(time, row);
    this.#trim();
  }

  /** Whether the row is the one that marks a gap. */
  isGap(index: number): boolean {
    return this.#isGap[index] === true;
  }

  /** The stretches without samples in the window, oldest first. */
  gaps(): Gap[] {
    const gaps: Gap[] = [];
    this.#isGap.forEach((isGap, index) => {
      const [from, to] = [this.times[index - 1], this.times[index + 1]];
      if (isGap && from !== undefined && to !== undefined) gaps.push({ from, to });
    });
    return gaps;
  }

  /** Empties every column. */
  clear(): void {
    for (const column of this.#columns()) column.length = 0;
  }

  /** Adds the row, after a row of nulls halfway when it comes too long after the last one. */
  #pushAfterGap(time: number, row: Row): void {
    const last = this.times.at(-1);
    if (last !== undefined && time - last > gapThreshold(this.#spacing)) this.#push((last + time) / 2, NO_ROW, true);
    this.#push(time, row, false);
  }

  #push(time: number, row: Row, isGap: boolean): void {
    const previous = this.times.length - 1;
    this.times.push(time);
    this.#isGap.push(isGap);
    this.cpu.push(row.cpu);
    this.memory.push(row.memory);
    this.disk.push(row.disk);
    this.#sent.push(row.sent);
    this.#recv.push(row.recv);
    this.sendRate.push(rate(this.#sent, this.times, previous));
    this.recvRate.push(rate(this.#recv, this.times, previous));
  }

  /** The rows that hold samples (not the nulls that mark gaps). */
  #realRows(): Array<[number, Row]> {
    const rows: Array<[number, Row]> = [];
    this.times.forEach((time, index) => {
      if (this.#isGap[index]) return;
      rows.push([
        time,
        { cpu: this.cpu[index]!, memory: this.memory[index]!, disk: this.disk[index]!, sent: this.#sent[index]!, recv: this.#recv[index]! },
      ]);
    });
    return rows;
  }

  #columns(): Array<unknown[]> {
    return [this.times, this.#isGap, this.cpu, this.memory, this.disk, this.sendRate, this.recvRate, this.#sent, this.#recv];
  }

  /** Drops rows older than the window before the newest one, and a gap's nulls left first. */
  #trim(): void {
    const newest = this.times.at(-1);
    if (newest === undefined) return;
    let keepFrom = this.times.findIndex((time) => time >= newest - WINDOW_SECONDS);
    while (this.#isGap[keepFrom]) keepFrom += 1;
    if (keepFrom > 0) for (const column of this.#columns()) column.splice(0, keepFrom);
  }
}

/** The median distance between neighbouring times, or undefined with fewer than two. */
function medianSpacing(times: readonly number[]): number | undefined {
  const spacings = times.slice(1).map((time, index) => time - times[index]!);
  if (spacings.length === 0) return undefined;
  spacings.sort((a, b) => a - b);
  return spacings[Math.floor(spacings.length / 2)];
}

/** The counter's growth per second from row `previous` to the row after it; a counter that went back (a reset) reads 0. */
function rate(counter: Column, times: readonly number[], previous: number): number | null {
  if (previous < 0) return null;
  const [before, after] = [counter[previous], counter[previous + 1]];
  const elapsed = times[previous + 1]! - times[previous]!;
  if (before === null || before === undefined || after === null || after === undefined || elapsed <= 0) return null;
  return Math.max(0, (after - before) / elapsed);
}
