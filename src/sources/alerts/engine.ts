/**
 * The alert engine: feeds metric values, component statuses and torrent events from the bus to the
 * threshold rules, the qBittorrent health check and the torrent alerts, which raise, escalate and
 * resolve alerts through one ledger.
 */
import type { Config } from '../../config/schema.js';
import { type Bus, isOwnEvent } from '../../hub/bus.js';
import { createEvent, type HubEvent } from '../../hub/event.js';
import { AlertType, dataOf, EventName, performanceOf } from '../../protocol/index.js';
import type { Silence, SilenceCreate } from '../../protocol/index.js';
import { activeData, type AlertQuery, type AlertRecord, type AlertStore } from '../../store/alert-store.js';
import type { SilenceStore } from '../../store/silence-store.js';
import { readSystemValue, systemMetric } from '../../store/system-metrics.js';
import { AlertLedger, type FindProcesses, findTopProcesses } from './alert-ledger.js';
import { AlertManagement } from './alert-management.js';
import type { Clock } from '../clock.js';
import { QbittorrentHealth } from './qbittorrent-health.js';
import { compileRules } from './rules.js';
import { phrasebook } from './texts.js';
import { ThresholdAlerts } from './threshold-alerts.js';
import { TorrentAlerts } from './torrent-alerts.js';

export interface AlertEngine {
  /** The active alerts, as events for the connect-time snapshot: at start, those restored from the store (they are not published again). */
  activeEvents(): HubEvent[];
  /** Resolves an active alert for an admin once stored and recorded (NotRecordedError when it cannot be); undefined when no active alert has this id. */
  resolve(alertId: string, resolution: string | undefined, resolvedBy: string): Promise<AlertRecord | undefined>;
  /** Acknowledges an active alert for an admin; undefined when no active alert has this id. */
  acknowledge(alertId: string, comment: string | undefined, by: string): Promise<AlertRecord | undefined>;
  /** Creates a silence (throws SilenceError naming the field at fault), lists those in force, deletes one. */
  createSilence(request: SilenceCreate, by: string): Silence;
  listSilences(): Silence[];
  deleteSilence(id: string): boolean;
  /** Stored alerts, newest first. */
  list(query: AlertQuery): Promise<AlertRecord[]>;
  activeAlerts(): AlertRecord[];
  /** Applies changed rules, limits and locale at once. */
  reconfigure(config: Config): void;
  /** Resolves once every alert change so far is stored and published. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export function createAlertEngine(options: {
  bus: Bus;
  store: AlertStore;
  silences: SilenceStore;
  config: Config;
  /** Default: the top processes measured on this machine. */
  findProcesses?: FindProcesses;
  /** What the rules' `for` and the qBittorrent limit are measured on. Default: the system's. */
  clock?: Clock;
  onError: (error: unknown) => void;
}): AlertEngine {
  const { bus, config } = options;
  let phrases = phrasebook(config.locale);
  const management = new AlertManagement({
    store: options.store,
    silences: options.silences,
    publish: bus.publish,
    record: bus.publishDurable,
    repeatIntervalSeconds: config.notifications.repeat_interval,
    onError: options.onError,
  });
  const ledger = new AlertLedger({
    ...options,
    findProcesses: options.findProcesses ?? findTopProcesses,
    publish: management.publish,
    record: management.record,
    host: bus.node,
  });
  management.attach(ledger);
  const thresholds = new ThresholdAlerts(ledger, compileRules(config.alerts.rules), phrases, options.clock);
  const qbittorrent = new QbittorrentHealth(ledger, config.alerts.qbittorrent_unreachable_seconds, phrases, options.clock);
  const torrentSettings = (current: Config) => ({
    freeSpaceBelow: current.alerts.qbittorrent_free_space_below,
    stalledAfterSeconds: current.torrents.stalled_after,
  });
  const torrents = new TorrentAlerts(ledger, torrentSettings(config), phrases);

  const unsubscribe = bus.subscribe((event) => {
    // Rules watch this node's host and components, and the custom metrics posted to it: in a cluster,
    // each condition is then evaluated by one node, and alerts once.
    if (!isOwnEvent(bus, event)) return;
    const performance = performanceOf(event);
    if (performance?.kind === 'system') {
      for (const metric of thresholds.metrics) {
        const value = readSystemValue(performance.data, metric);
        if (value !== undefined) thresholds.observe(metric, value, systemMetric(metric)?.unit ?? '');
      }
    } else if (performance?.kind === 'custom') {
      const { metric_name: metric, value, unit } = performance.data;
      if (!systemMetric(metric)) thresholds.observe(metric, value, unit);
    } else if (performance?.kind === 'qbittorrent') {
      torrents.observeTransfer(performance.data);
    } else if (event.type === 'torrent') {
      torrents.observe(event);
    } else {
      const status = dataOf(event, EventName.statusQbittorrentClient);
      if (status) qbittorrent.observe(status);
    }
  });

  return {
    activeEvents: () =>
      ledger.activeAlerts().map((record) => {
        const name = `alert.${record.type}` as const;
        const event = createEvent(name, management.decorate(name, activeData(record)), Date.parse(record.updated_at));
        if (bus.node !== undefined) event.node = bus.node;
        return event;
      }),
    async resolve(alertId, resolution, resolvedBy) {
      const active = ledger.findActive(alertId);
      if (!active) return undefined;
      // The alert leaves the active set at once; its rule starts over (if the resolution cannot be recorded, the alert comes back).
      const resolved = ledger.resolveRecorded(active.type, resolution ?? phrases.resolvedByAdmin, resolvedBy, active.subject);
      if (active.subject === '') thresholds.reset(active.type);
      if (active.type === AlertType.qbittorrent) qbittorrent.reset();
      return resolved;
    },
    acknowledge: (alertId, comment, by) => management.acknowledge(alertId, comment, by),
    createSilence: (request, by) => management.createSilence(request, by),
    listSilences: () => management.listSilences(),
    deleteSilence: (id) => management.deleteSilence(id),
    async list(query) {
      await ledger.settled();
      return options.store.list(query);
    },
    activeAlerts: () => ledger.activeAlerts(),
    reconfigure(next) {
      phrases = phrasebook(next.locale);
      thresholds.reconfigure(compileRules(next.alerts.rules), phrases);
      qbittorrent.reconfigure(next.alerts.qbittorrent_unreachable_seconds, phrases);
      management.reconfigure(next.notifications.repeat_interval);
      torrents.reconfigure(torrentSettings(next), phrases);
    },
    settled: () => ledger.settled(),
    async stop() {
      unsubscribe();
      qbittorrent.stop();
      management.stop();
      await ledger.settled();
    },
  };
}
