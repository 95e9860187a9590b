/**
 * The alerts' life cycle: at most one active alert per type and subject (a torrent's alerts are one per
 * torrent; other types have one subject, ''), from its first firing through escalations
 * (same alert_id, higher level) to its resolution. Every change is stored, then published, in order.
 */
import { randomBytes } from 'node:crypto';
import { isoNow } from '../../protocol/envelope.js';
import { ALERT_LEVEL_RANK, type AlertActive, type AlertLevel, type AlertResolved, type EventNameOf } from '../../protocol/index.js';
import { activeData, type AlertRecord, type AlertStore, resolvedData } from '../../store/alert-store.js';
import { NotRecordedError } from '../../store/store-health.js';
import { type ProcessResource, topProcesses } from '../system-metrics/index.js';
import type { AlertTexts } from './texts.js';

/** Where the ledger's alert events go (the alert management, then the bus). */
export type AlertPublish = (name: EventNameOf<'alert'>, data: AlertActive | AlertResolved) => void;
/** Publishes an alert event for an operation that waits on it: resolves once it is recorded, rejects when it cannot be. */
export type AlertRecordPublish = (name: EventNameOf<'alert'>, data: AlertActive | AlertResolved) => Promise<unknown>;

/** Names of the processes using the most of a resource, for `metadata.affected_processes`. */
export type FindProcesses = (resource: ProcessResource) => Promise<string[]>;

const AFFECTED_PROCESSES = 5;

/** The top processes by the resource, each name once (a browser's many processes count as one). */
export const findTopProcesses: FindProcesses = async (resource) => {
  const names = (await topProcesses(resource, 2 * AFFECTED_PROCESSES)).map((top) => top.name);
  return [...new Set(names)].slice(0, AFFECTED_PROCESSES);
};

export interface Raise {
  type: string;
  /** Default ''. */
  subject?: string;
  level: AlertLevel;
  value: number;
  threshold: number;
  texts: AlertTexts;
  /** The resource whose top processes the alert names; none: an empty list. */
  resource?: ProcessResource;
  /** More to say in `metadata` (e.g. the torrent's hash and name); a subject other than '' is there too, as `subject`. */
  details?: Record<string, unknown>;
}

const keyOf = (type: string, subject: string) => `${type}\u0000${subject}`;

/** `alert_<12 hex>`; in a cluster `alert_<node>_<12 hex>`, unique across nodes and telling which node owns it. */
function newAlertId(host: string | undefined): string {
  const random = randomBytes(6).toString('hex');
  // The id goes into URLs (`/api/v1/alerts/{id}/resolve`): the node's name is kept to safe characters.
  return host === undefined ? `alert_${random}` : `alert_${host.replace(/[^A-Za-z0-9_.-]/g, '_')}_${random}`;
}

/** Finding the top processes measures for a moment; past this the alert goes out without them. */
const FIND_PROCESSES_TIMEOUT_MS = 3000;

export class AlertLedger {
  readonly #active = new Map<string, AlertRecord>();
  readonly #store: AlertStore;
  readonly #publish: AlertPublish;
  readonly #record: AlertRecordPublish;
  readonly #findProcesses: FindProcesses;
  readonly #onError: (error: unknown) => void;
  readonly #host: string | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(options: {
    store: AlertStore;
    publish: AlertPublish;
    /** Publishes an alert event and resolves once it is recorded, rejects when it cannot be (through bus.publishDurable). */
    record?: AlertRecordPublish;
    findProcesses: FindProcesses;
    onError: (error: unknown) => void;
    /** In a cluster, this node: named in every alert's `metadata.host` and `alert_id`. */
    host?: string | undefined;
  }) {
    this.#host = options.host;
    this.#store = options.store;
    this.#publish = options.publish;
    this.#record = options.record ?? (async (name, data) => options.publish(name, data));
    this.#findProcesses = options.findProcesses;
    this.#onError = options.onError;
    for (const record of this.#store.active()) this.#active.set(keyOf(record.type, record.subject), record);
  }

  active(type: string, subject = ''): AlertRecord | undefined {
    return this.#active.get(keyOf(type, subject));
  }

  activeAlerts(): AlertRecord[] {
    return [...this.#active.values()];
  }

  /** Fires a new alert of this type, or escalates the active one to a higher level; an equal or lower level changes nothing. */
  raise({ type, subject = '', level, value, threshold, texts, resource, details }: Raise): void {
    const current = this.#active.get(keyOf(type, subject));
    if (current && ALERT_LEVEL_RANK[level] <= ALERT_LEVEL_RANK[current.level]) return;
    const now = isoNow();
    const record: AlertRecord = {
      alert_id: current?.alert_id ?? newAlertId(this.#host),
      type,
      subject,
      level,
      status: 'active',
      title: texts.title,
      message: texts.message,
      value,
      threshold,
      metadata: {
        ...details,
        ...(subject !== '' && { subject }),
        affected_processes: [],
        suggestion: texts.suggestion,
        ...(this.#host !== undefined && { host: this.#host }),
      },
      raised_at: current?.raised_at ?? now,
      updated_at: now,
    };
    this.#active.set(keyOf(type, subject), record);
    this.#enqueue(async () => {
      if (resource) record.metadata.affected_processes = await this.#processes(resource);
      this.#store.saveActive(record);
      this.#publish(`alert.${type}`, activeData(record));
    });
  }

  /** Resolves the active alert of this type and subject; undefined when there is none. */
  resolve(type: string, resolution: string, resolvedBy: string, subject = ''): AlertRecord | undefined {
    const current = this.#active.get(keyOf(type, subject));
    if (!current) return undefined;
    this.#active.delete(keyOf(type, subject));
    const resolved = { ...current, status: 'resolved' as const, resolved_at: isoNow(), resolution, resolved_by: resolvedBy };
    this.#enqueue(async () => {
      this.#store.markResolved(resolved.alert_id, resolved);
      this.#publish(`alert.${type}`, resolvedData(resolved));
    });
    return resolved;
  }

  /**
   * In turn with the alerts' other changes: once they are stored and published, calls `update` with the
   * alert (if it is still active by then) and publishes it again with the fields `update` returns (a
   * reminder's `repeat`), or not at all if it returns undefined. What its events carry besides (an
   * acknowledgement, a silence) is added on the way out. False when no active alert has this id now.
   */
  update(alertId: string, update: (record: AlertRecord) => Partial<AlertActive> | undefined): boolean {
    if (!this.findActive(alertId)) return false;
    this.#enqueue(async () => {
      const record = this.findActive(alertId);
      const extra = record && update(record);
      if (record && extra) this.#publish(`alert.${record.type}`, { ...activeData(record), ...extra });
    });
    return true;
  }

  /**
   * Resolves the active alert of this type and subject for an admin, and says so only once the resolution is
   * stored and its event recorded. When either cannot be written, the alert stays active and this
   * rejects with NotRecordedError. Undefined when there is no active alert of this type.
   */
  async resolveRecorded(type: string, resolution: string, resolvedBy: string, subject = ''): Promise<AlertRecord | undefined> {
    const key = keyOf(type, subject);
    const current = this.#active.get(key);
    if (!current) return undefined;
    this.#active.delete(key);
    const resolved = { ...current, status: 'resolved' as const, resolved_at: isoNow(), resolution, resolved_by: resolvedBy };
    const done = this.#queue.then(async () => {
      this.#store.markResolved(resolved.alert_id, resolved);
      try {
        await this.#record(`alert.${type}`, resolvedData(resolved));
      } catch (error) {
        this.#reopen(current.alert_id);
        throw error;
      }
    });
    this.#queue = done.catch(() => undefined);
    try {
      await done;
    } catch (error) {
      // Unless the rule raised a new alert of this type meanwhile, the one that could not be resolved is still the active one.
      if (!this.#active.has(key)) this.#active.set(key, current);
      throw new NotRecordedError(`the resolution of alert "${current.alert_id}"`, error);
    }
    return resolved;
  }

  /** Undoes a stored resolution whose event could not be recorded (best effort: the disk may refuse this too). */
  #reopen(alertId: string): void {
    try {
      this.#store.reopen(alertId);
    } catch (error) {
      this.#onError(error);
    }
  }

  findActive(alertId: string): AlertRecord | undefined {
    return this.activeAlerts().find((record) => record.alert_id === alertId);
  }

  /** Resolves once every change so far is stored and published. */
  settled(): Promise<void> {
    return this.#queue;
  }

  #enqueue(task: () => Promise<void>): void {
    this.#queue = this.#queue.then(task).catch(this.#onError);
  }

  async #processes(resource: ProcessResource): Promise<string[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string[]>((resolve) => {
      timer = setTimeout(() => resolve([]), FIND_PROCESSES_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.#findProcesses(resource), timeout]);
    } catch (error) {
      this.#onError(error);
      return [];
    } finally {
      clearTimeout(timer);
    }
  }
}
