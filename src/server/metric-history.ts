/**
 * Metric history: records performance events from the bus into the store in batches (system samples
 * of this node's host; custom metrics from every node, wherever they were posted), answers
 * `request_data` and the history endpoint from it, and keeps it within retention in small steps.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Config } from '../config/schema.js';
import { type Bus, isOwnEvent } from '../hub/bus.js';
import type { HubEvent } from '../hub/event.js';
import { type DataReply, performanceOf, QBITTORRENT_HISTORY_FIGURES, QBITTORRENT_METRIC_PREFIX } from '../protocol/index.js';
import { isoNow } from '../protocol/envelope.js';
import {
  type CustomRow,
  MINUTE_MS,
  type MetricStore,
  type Series,
  type StoredSample,
  type SystemRow,
} from '../store/sqlite-metric-store.js';
import { readSystemValue, SYSTEM_METRICS, systemMetric } from '../store/system-metrics.js';

/** Most samples per metric in one answer; a longer window is averaged into buckets (`step_seconds`). */
export const MAX_SAMPLES_PER_METRIC = 1000;
/** Windows up to an hour are answered from raw samples, longer ones from minute summaries... */
const RAW_WINDOW_MS = 60 * MINUTE_MS;
/** ...and so are windows holding more raw samples than this (a busy custom metric): it bounds one answer's work. */
const MAX_RAW_SCAN = 50 * MAX_SAMPLES_PER_METRIC;
const FLUSH_AFTER_MS = 1000;
const FLUSH_AT_ROWS = 1000;
const MAINTENANCE_EVERY_MS = MINUTE_MS;
/** Each rollup step and each prune statement is this small, and the event loop runs between them. */
const ROLLUP_STEP_MS = 2 * MINUTE_MS;
const PRUNE_BATCH_ROWS = 1000;

export interface MetricHistory {
  /** The current value and the samples of the last `minutes` of each metric; unknown names are listed, not dropped. */
  query(names: readonly string[], minutes: number): Promise<DataReply>;
  /** Whether these custom metric names fit under `metrics.max_custom_metrics` (names already kept always do). */
  hasRoomFor(names: Iterable<string>): boolean;
  /** Rolls complete minutes up into summaries and prunes past retention; runs every minute by itself. */
  maintain(): Promise<void>;
  reconfigure(config: Config): void;
  /** Stops recording and maintenance, and writes what is buffered. */
  stop(): Promise<void>;
}

interface Settings {
  rawRetentionMs: number;
  summaryRetentionMs: number;
  maxCustomMetrics: number;
}

const settingsOf = ({ metrics }: Config): Settings => ({
  rawRetentionMs: metrics.retention.raw_hours * 3_600_000,
  summaryRetentionMs: metrics.retention.summary_days * 86_400_000,
  maxCustomMetrics: metrics.max_custom_metrics,
});

export function createMetricHistory(options: {
  store: MetricStore;
  bus: Bus;
  config: Config;
  onError: (error: unknown) => void;
}): MetricHistory {
  const { store, onError } = options;
  let settings = settingsOf(options.config);
  let systemRows: SystemRow[] = [];
  let customRows: CustomRow[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let maintaining: Promise<void> | undefined;
  let stopped = false;

  function flush(): void {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (systemRows.length === 0 && customRows.length === 0) return;
    const [system, custom] = [systemRows, customRows];
    systemRows = [];
    customRows = [];
    store.append(system, custom);
  }

  function record(event: HubEvent): void {
    const performance = performanceOf(event);
    if (!performance) return;
    const ts = Date.parse(event.timestamp);
    if (performance.kind === 'system') {
      // One host per series: another node's samples are its own history.
      if (!isOwnEvent(options.bus, event)) return;
      const values = SYSTEM_METRICS.map((metric) => readSystemValue(performance.data, metric.name) ?? null);
      if (values.every((value) => value === null)) return;
      systemRows.push({ ts, values });
    } else if (performance.kind === 'qbittorrent') {
      // Kept like custom metrics, under reserved names: qbittorrent.dl_speed, ...
      for (const { figure, unit } of QBITTORRENT_HISTORY_FIGURES) {
        const value = performance.data[figure];
        if (typeof value === 'number' && Number.isFinite(value))
          customRows.push({ name: `${QBITTORRENT_METRIC_PREFIX}.${figure}`, unit, ts, value });
      }
    } else {
      const { metric_name: name, value, unit } = performance.data;
      // A system figure's name is the system series (the REST API refuses it as a custom metric).
      if (systemMetric(name)) return;
      customRows.push({ name, unit, ts, value });
    }
    if (systemRows.length + customRows.length >= FLUSH_AT_ROWS) flush();
    else flushTimer ??= setTimeout(() => guarded(flush), FLUSH_AFTER_MS);
  }

  function guarded(action: () => void): void {
    try {
      action();
    } catch (error) {
      onError(error);
    }
  }

  function samplesOf(series: Series, fromMs: number, toMs: number): { step_seconds: number; samples: StoredSample[] } {
    const windowMs = toMs - fromMs;
    if (windowMs <= 0) return { step_seconds: 0, samples: [] };
    if (windowMs <= Math.min(RAW_WINDOW_MS, settings.rawRetentionMs)) {
      const count = store.countRaw(series, fromMs, toMs);
      if (count <= MAX_RAW_SCAN) {
        const stepMs = count > MAX_SAMPLES_PER_METRIC ? Math.ceil(windowMs / MAX_SAMPLES_PER_METRIC / 1000) * 1000 : 0;
        return { step_seconds: stepMs / 1000, samples: store.raw(series, fromMs, toMs, stepMs) };
      }
    }
    // The summarised minutes, then the minutes since the last rollup from raw samples, merged into buckets.
    const stepMs = Math.ceil(windowMs / MINUTE_MS / MAX_SAMPLES_PER_METRIC) * MINUTE_MS;
    const rolledUntil = Math.max(fromMs, store.rolledUntil() ?? fromMs);
    const minutes = [...store.summaries(series, fromMs, rolledUntil), ...store.raw(series, rolledUntil - 1, toMs, MINUTE_MS)];
    return { step_seconds: stepMs / 1000, samples: intoBuckets(minutes, stepMs) };
  }

  async function runMaintenance(): Promise<void> {
    flush();
    const now = Date.now();
    const completeMinutes = now - (now % MINUTE_MS);
    const summaryCutoff = now - settings.summaryRetentionMs;
    const earliest = store.rolledUntil() ?? floorToMinute(store.earliestRaw() ?? completeMinutes);
    for (let from = Math.max(earliest, floorToMinute(summaryCutoff)); from < completeMinutes && !stopped; ) {
      const to = Math.min(from + ROLLUP_STEP_MS, completeMinutes);
      store.rollup(from, to);
      from = to;
      await yieldToEventLoop();
    }
    // Raw samples go only once they are summarised.
    const rawCutoff = Math.min(now - settings.rawRetentionMs, store.rolledUntil() ?? Number.NEGATIVE_INFINITY);
    while (!stopped && store.pruneRaw(rawCutoff, PRUNE_BATCH_ROWS) > 0) await yieldToEventLoop();
    while (!stopped && store.pruneSummaries(summaryCutoff, PRUNE_BATCH_ROWS) > 0) await yieldToEventLoop();
    if (!stopped) store.dropEmptySeries();
  }

  const maintain = (): Promise<void> =>
    (maintaining ??= runMaintenance().finally(() => {
      maintaining = undefined;
    }));

  const unsubscribe = options.bus.subscribe(record);
  const maintenanceTimer = setInterval(() => maintain().catch(onError), MAINTENANCE_EVERY_MS);
  maintenanceTimer.unref();

  return {
    async query(names, minutes) {
      flush();
      const toMs = Date.now();
      const fromMs = toMs - minutes * MINUTE_MS;
      const reply: DataReply = { history_minutes: minutes, metrics: {}, unknown_metrics: [] };
      for (const name of new Set(names)) {
        const series = store.series(name);
        if (!series) {
          reply.unknown_metrics.push(name);
          continue;
        }
        const { step_seconds, samples } = samplesOf(series, fromMs, toMs);
        reply.metrics[name] = {
          current: store.latest(series)?.value ?? null,
          ...(series.unit !== '' && { unit: series.unit }),
          step_seconds,
          samples: samples.map(toWire),
        };
        await yieldToEventLoop();
      }
      return reply;
    },
    hasRoomFor(names) {
      flush();
      const fresh = new Set([...names].filter((name) => !store.series(name)));
      return store.customSeriesCount() + fresh.size <= settings.maxCustomMetrics;
    },
    maintain,
    reconfigure(config) {
      settings = settingsOf(config);
    },
    async stop() {
      stopped = true;
      unsubscribe();
      clearInterval(maintenanceTimer);
      await maintaining?.catch(() => undefined); // a failed pass was reported to whoever started it
      flush();
    },
  };
}

function floorToMinute(ms: number): number {
  return ms - (ms % MINUTE_MS);
}

/** Merges minutes (oldest first, each with its sample count) into buckets of `stepMs`, averages weighted by count. */
function intoBuckets(minutes: readonly StoredSample[], stepMs: number): StoredSample[] {
  const buckets: Array<Required<StoredSample>> = [];
  for (const { ts, value, min = value, max = value, count = 1 } of minutes) {
    const start = ts - (ts % stepMs);
    const last = buckets.at(-1);
    if (last?.ts !== start) {
      buckets.push({ ts: start, value, min, max, count });
      continue;
    }
    last.value = (last.value * last.count + value * count) / (last.count + count);
    last.count += count;
    last.min = Math.min(last.min, min);
    last.max = Math.max(last.max, max);
  }
  return buckets;
}

/** Raw samples as they were; bucket averages rounded, with their extremes. */
function toWire({ ts, value, min, max }: StoredSample): { timestamp: string; value: number; min?: number; max?: number } {
  if (min === undefined || max === undefined) return { timestamp: isoNow(ts), value };
  return { timestamp: isoNow(ts), value: Math.round(value * 1000) / 1000, min, max };
}
