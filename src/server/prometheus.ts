/**
 * The Prometheus exposition (prom-client): the latest system sample of this node's host, the latest
 * value of each custom metric (labels from its tags, a bounded number of tag sets each), qBittorrent's
 * figures (prometheus-qbittorrent.ts), the server's own figures, and the standard series (prometheus-standard.ts).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { type Bus, isOwnEvent } from '../hub/bus.js';
import type { Hub } from '../hub/hub.js';
import {
  type CustomMetric,
  dataOf,
  EVENT_TYPES,
  EventName,
  type NotificationTargetState,
  performanceOf,
  type SystemMetrics,
} from '../protocol/index.js';
import type { AlertEngine } from '../sources/alerts/engine.js';
import type { StoreHealth, StorePart } from '../store/store-health.js';
import { readSystemValue } from '../store/system-metrics.js';
import { createQbittorrentSeries } from './prometheus-qbittorrent.js';
import { isResponseTime, observeResponseTimes, processMetrics } from './prometheus-standard.js';
import type { SseServer } from './sse/sse-server.js';
import type { WsServer } from './ws/ws-server.js';

export interface PrometheusExporter {
  readonly contentType: string;
  render(): Promise<string>;
  reconfigure(config: Config): void;
  stop(): void;
}

/** Each system figure's name and type: the network byte counts only grow, so they are counters. */
const SYSTEM_SERIES = [
  {
    metric: 'cpu_percent',
    name: 'qbtm_system_cpu_percent',
    help: 'Busy share of all cores over the last interval, 0-100.',
    counter: false,
  },
  { metric: 'memory_percent', name: 'qbtm_system_memory_percent', help: 'Used share of physical memory, 0-100.', counter: false },
  {
    metric: 'disk_usage_percent',
    name: 'qbtm_system_disk_usage_percent',
    help: 'Used share of the watched filesystem, 0-100.',
    counter: false,
  },
  {
    metric: 'network_io.bytes_sent',
    name: 'qbtm_system_network_sent_bytes_total',
    help: 'Bytes sent since boot, all non-loopback interfaces.',
    counter: true,
  },
  {
    metric: 'network_io.bytes_recv',
    name: 'qbtm_system_network_received_bytes_total',
    help: 'Bytes received since boot, all non-loopback interfaces.',
    counter: true,
  },
  { metric: 'process_count', name: 'qbtm_system_processes', help: 'Processes running.', counter: false },
] as const;

const CUSTOM_PREFIX = 'qbtm_custom_';
const LABEL_NAME = /^(?!__)[A-Za-z_][A-Za-z0-9_]*$/;

interface CustomSeries {
  gauge: Gauge;
  /** Fixed by the metric's first sample; other tags of later samples are left out. */
  labelNames: string[];
  tagSets: Set<string>;
}

export function createPrometheusExporter(deps: {
  bus: Bus;
  hub: Hub;
  ws: WsServer;
  sse: SseServer;
  alerts: AlertEngine;
  config: Config;
  /** Each notification target's figures. */
  notifications?: () => NotificationTargetState[];
  store: StoreHealth;
}): PrometheusExporter {
  const { hub, ws, sse, alerts } = deps;
  const registry = new Registry();
  let maxTagSets = deps.config.metrics.max_tag_sets;

  /** A counter whose value is read from the server's own tallies at each scrape. */
  const tally = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  new Gauge({
    name: 'qbtm_websocket_connections',
    help: 'Authenticated WebSocket connections open.',
    registers: [registry],
    collect() {
      this.set(ws.sessionCount);
    },
  });
  tally('qbtm_websocket_messages_sent_total', 'Event messages sent to clients.', () => ws.stats.sent);
  tally(
    'qbtm_websocket_messages_conflated_total',
    'Performance updates to slow clients dropped for a newer one.',
    () => ws.stats.conflated,
  );
  tally('qbtm_websocket_slow_consumer_closes_total', 'Clients closed with 4408 for reading too slowly.', () => ws.stats.slowConsumerCloses);
  tally('qbtm_websocket_rate_limited_messages_total', 'Client messages dropped by the rate limit.', () => ws.stats.rateLimited);
  tally('qbtm_websocket_heartbeat_timeouts_total', 'Clients cut for not answering pings.', () => ws.stats.heartbeatTimeouts);
  new Gauge({
    name: 'qbtm_sse_streams',
    help: 'Server-sent-events streams open (GET /api/v1/events).',
    registers: [registry],
    collect() {
      this.set(sse.streamCount);
    },
  });
  tally('qbtm_sse_messages_sent_total', 'Event messages sent down server-sent-events streams.', () => sse.stats.sent);
  tally(
    'qbtm_sse_slow_consumer_closes_total',
    'Server-sent-events streams cut for reading too slowly.',
    () => sse.stats.slowConsumerCloses,
  );
  new Counter({
    name: 'qbtm_events_published_total',
    help: 'Events fanned out, by type.',
    labelNames: ['type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const type of EVENT_TYPES) this.inc({ type }, hub.stats.published[type]);
    },
  });
  new Gauge({
    name: 'qbtm_event_last_seq',
    help: 'meta.seq of the last durable event.',
    registers: [registry],
    collect() {
      this.set(hub.lastSeq);
    },
  });
  new Gauge({
    name: 'qbtm_alerts_active',
    help: 'Active alerts, by type and level.',
    labelNames: ['type', 'level'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { type, level } of alerts.activeAlerts()) this.inc({ type, level });
    },
  });
  const perTarget = (name: string, help: string, read: (state: NotificationTargetState) => number, type: typeof Counter | typeof Gauge) =>
    new type({
      name,
      help,
      labelNames: ['target'],
      registers: [registry],
      collect() {
        this.reset();
        for (const state of deps.notifications?.() ?? []) this.inc({ target: state.name }, read(state));
      },
    });
  perTarget('qbtm_notifications_sent_total', 'Notifications a target took, since the service started.', (s) => s.sent, Counter);
  perTarget(
    'qbtm_notifications_failed_total',
    'Failed notification attempts (each retry counts), since the service started.',
    (s) => s.failed,
    Counter,
  );
  perTarget(
    'qbtm_notifications_given_up_total',
    'Events given up after notifications.max_retry_hours, since the service started.',
    (s) => s.given_up,
    Counter,
  );
  perTarget('qbtm_notifications_backlog', 'Events waiting for delivery to a target.', (s) => s.backlog, Gauge);
  const storeParts: StorePart[] = ['database', 'data_directory'];
  new Gauge({
    name: 'qbtm_store_writable',
    help: 'Whether the part of the store takes writes (1) or refuses them (0): the disk is full, read-only, or the directory is gone.',
    labelNames: ['part'],
    registers: [registry],
    collect() {
      for (const part of storeParts) this.set({ part }, deps.store.isWritable(part) ? 1 : 0);
    },
  });
  const dropped = new Counter({
    name: 'qbtm_dropped_custom_samples_total',
    help: 'Custom metric samples not exported: past metrics.max_tag_sets, or a name that clashes once made a Prometheus name.',
    labelNames: ['metric_name'],
    registers: [registry],
  });

  // Registered at the first sample, so that no figure reads 0 before anything was measured.
  let system: Array<{ metric: string; set: (value: number) => void }> | undefined;
  const recordSystem = (data: SystemMetrics) => {
    system ??= SYSTEM_SERIES.map(({ metric, name, help, counter }) => {
      if (!counter) {
        const gauge = new Gauge({ name, help, registers: [registry] });
        return { metric, set: (value: number) => gauge.set(value) };
      }
      const total = new Counter({ name, help, registers: [registry] });
      return {
        metric,
        set: (value: number) => {
          total.reset();
          total.inc(value);
        },
      };
    });
    for (const { metric, set } of system) {
      const value = readSystemValue(data, metric);
      if (value !== undefined) set(value);
    }
  };

  const custom = new Map<string, CustomSeries | null>();
  const recordCustom = (data: CustomMetric) => {
    // A histogram of its own (prometheus-standard.ts), not a latest-value gauge.
    if (isResponseTime(data)) return;
    const { metric_name: metricName, value, unit, tags } = data;
    let series = custom.get(metricName);
    if (series === undefined) {
      const name = CUSTOM_PREFIX + metricName.replace(/[^A-Za-z0-9_]/g, '_');
      const labelNames = Object.keys(tags)
        .filter((key) => LABEL_NAME.test(key))
        .sort();
      const help = `Custom metric ${metricName}${unit !== '' ? ` (${unit})` : ''}: its latest value.`;
      series = registry.getSingleMetric(name)
        ? null
        : { gauge: new Gauge({ name, help, labelNames, registers: [registry] }), labelNames, tagSets: new Set() };
      custom.set(metricName, series);
    }
    if (series === null) {
      dropped.inc({ metric_name: metricName });
      return;
    }
    const labels = Object.fromEntries(series.labelNames.map((key) => [key, tags[key] ?? '']));
    const tagSet = JSON.stringify(labels);
    if (!series.tagSets.has(tagSet)) {
      if (series.tagSets.size >= maxTagSets) {
        dropped.inc({ metric_name: metricName });
        return;
      }
      series.tagSets.add(tagSet);
    }
    series.gauge.set(labels, value);
  };

  const qbittorrent = createQbittorrentSeries(registry, () => hub.torrents());

  const unsubscribe = deps.bus.subscribe((event) => {
    // In a cluster each node exports its own host and its own qBittorrent, so that a scrape of every node sees each once.
    const performance = performanceOf(event);
    if (performance?.kind === 'custom') recordCustom(performance.data);
    else if (!isOwnEvent(deps.bus, event)) return;
    else if (performance?.kind === 'system') recordSystem(performance.data);
    else if (performance?.kind === 'qbittorrent') qbittorrent.recordTransfer(performance.data);
    else {
      const status = dataOf(event, EventName.statusQbittorrentClient);
      if (status) qbittorrent.recordStatus(status);
    }
  });

  const stopResponseTimes = observeResponseTimes(registry, deps.bus);
  const processRegistry = processMetrics();

  return {
    contentType: registry.contentType,
    render: async () => `${await processRegistry.metrics()}\n${await registry.metrics()}`,
    reconfigure(config) {
      maxTagSets = config.metrics.max_tag_sets;
    },
    stop() {
      unsubscribe();
      stopResponseTimes();
    },
  };
}
