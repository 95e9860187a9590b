/**
 * Alert management (docs/protocol.md, "Alert management"): acknowledgements, silences and reminders. Every
 * alert event goes out through `publish`, which adds what applies to it (`acknowledged_by`,
 * `acknowledged_at`, `acknowledgement`, `silenced: true`); a change of either publishes the alert again
 * so that every client sees it. An alert still active, unacknowledged and unsilenced
 * `notifications.repeat_interval` seconds after it was last notified is published again as a reminder
 * (`repeat`: the n-th). Notifying, or not, is the notifications' business: they read these fields.
 */
import { randomBytes } from 'node:crypto';
import { eventFilter } from '../../hub/event-filter.js';
import type { PublishDurable } from '../../hub/bus.js';
import type { EventData, HubEvent } from '../../hub/event.js';
import { SubscriptionError } from '../../hub/subscriptions.js';
import { isoNow } from '../../protocol/envelope.js';
import {
  type AlertActive,
  type AlertResolved,
  type EventNameOf,
  MAX_SILENCE_SECONDS,
  type PublishEvent,
  type Silence,
  type SilenceCreate,
} from '../../protocol/index.js';
import type { Acknowledgement, AlertRecord, AlertStore } from '../../store/alert-store.js';
import type { SilenceStore } from '../../store/silence-store.js';
import type { AlertLedger } from './alert-ledger.js';

/** A silence that cannot be created as asked; the message names the field. */
export class SilenceError extends Error {
  override readonly name = 'SilenceError';
}

/** Timers are set at most this far ahead (setTimeout's limit is about 24.8 days); further ones are set again then. */
const MAX_TIMER_MS = 86_400_000;

interface ActiveSilence {
  silence: Silence;
  matches: (event: HubEvent) => boolean;
}

export interface AlertManagementOptions {
  store: AlertStore;
  silences: SilenceStore;
  /** Where alert events go: the bus. */
  publish: PublishEvent;
  /** The same for an event an operation waits on (bus.publishDurable): resolves once recorded, rejects when it cannot be. */
  record: PublishDurable;
  repeatIntervalSeconds: number;
  onError: (error: unknown) => void;
}

export class AlertManagement {
  readonly #store: AlertStore;
  readonly #silenceStore: SilenceStore;
  readonly #publish: PublishEvent;
  readonly #record: PublishDurable;
  readonly #onError: (error: unknown) => void;
  #ledger: AlertLedger | undefined;
  readonly #acknowledgements = new Map<string, Acknowledgement>();
  /** When each active alert was last notified, and how many reminders it had. */
  readonly #notified = new Map<string, { at: number; reminders: number }>();
  /** Whether each active alert's latest event said `silenced`. */
  readonly #silenced = new Map<string, boolean>();
  /** Reminders queued in the ledger, not yet published. */
  readonly #reminding = new Set<string>();
  #silences: ActiveSilence[] = [];
  #repeatMs: number;
  #reminderTimer: NodeJS.Timeout | undefined;
  #silenceTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: AlertManagementOptions) {
    this.#store = options.store;
    this.#silenceStore = options.silences;
    this.#publish = options.publish;
    this.#record = options.record;
    this.#onError = options.onError;
    this.#repeatMs = options.repeatIntervalSeconds * 1000;
    this.#silences = this.#loadSilences();
  }

  /** Starts managing the ledger's alerts, as restored from the store. */
  attach(ledger: AlertLedger): void {
    this.#ledger = ledger;
    for (const record of ledger.activeAlerts()) {
      const { acknowledged_by, acknowledged_at, acknowledgement } = record;
      if (acknowledged_by !== undefined && acknowledged_at !== undefined) {
        this.#acknowledgements.set(record.alert_id, { acknowledged_by, acknowledged_at, acknowledgement: acknowledgement ?? '' });
      }
      this.#notified.set(record.alert_id, { at: Date.parse(record.notified_at ?? record.updated_at), reminders: record.reminders ?? 0 });
      this.#silenced.set(record.alert_id, this.#isSilenced(`alert.${record.type}`, record as unknown as EventData));
    }
    this.#scheduleSilenceEnd();
    this.#scheduleReminders();
  }

  /** The alert event's data as it goes out: with its acknowledgement and silencing. */
  decorate<D extends AlertActive | AlertResolved>(name: string, data: D): D {
    const acknowledgement = this.#acknowledgements.get(String(data.alert_id));
    const silenced = this.#isSilenced(name, data);
    return { ...data, ...acknowledgement, ...(silenced && { silenced: true }) };
  }

  /** What the ledger publishes through. */
  readonly publish = (name: EventNameOf<'alert'>, data: AlertActive | AlertResolved): void => {
    const decorated = this.decorate(name, data);
    this.#publish(name, decorated);
    this.#published(data, decorated);
  };

  /** As `publish`, for an operation that reports success only once the event is recorded: rejects when it cannot be, and then nothing is noted. */
  readonly record = async (name: EventNameOf<'alert'>, data: AlertActive | AlertResolved): Promise<void> => {
    const decorated = this.decorate(name, data);
    await this.#record(name, decorated);
    this.#published(data, decorated);
  };

  /** What an alert event that went out changes: a resolved alert is forgotten, an active one's notification noted. */
  #published(data: AlertActive | AlertResolved, decorated: AlertActive | AlertResolved): void {
    const alertId = String(data.alert_id);
    if (data.status !== 'active') {
      this.#reminding.delete(alertId);
      this.#acknowledgements.delete(alertId);
      this.#notified.delete(alertId);
      this.#silenced.delete(alertId);
    } else {
      this.#silenced.set(alertId, decorated.silenced === true);
      if (decorated.silenced !== true && !this.#acknowledgements.has(alertId)) this.#markNotified(alertId, data.repeat);
    }
    this.#scheduleReminders();
  }

  /** Acknowledges an active alert: it stays active, its events carry the acknowledgement, it is not notified again. */
  async acknowledge(alertId: string, comment: string | undefined, by: string): Promise<AlertRecord | undefined> {
    const ledger = this.#ledger;
    if (!ledger) return undefined;
    let acknowledged: AlertRecord | undefined;
    const queued = ledger.update(alertId, (record) => {
      const acknowledgement: Acknowledgement = { acknowledged_by: by, acknowledged_at: isoNow(), acknowledgement: comment ?? '' };
      this.#store.acknowledge(alertId, acknowledgement);
      this.#acknowledgements.set(alertId, acknowledgement);
      acknowledged = { ...record, ...acknowledgement };
      return {};
    });
    if (!queued) return undefined;
    await ledger.settled();
    return acknowledged;
  }

  /** Creates a silence; throws SilenceError naming the field at fault. */
  createSilence(request: SilenceCreate, by: string, now = Date.now()): Silence {
    try {
      eventFilter(['alert.*'], request.matchers);
    } catch (error) {
      if (error instanceof SubscriptionError) throw new SilenceError(`matchers: ${error.message}`);
      throw error;
    }
    const silence: Silence = {
      id: `silence_${randomBytes(6).toString('hex')}`,
      matchers: request.matchers,
      created_at: isoNow(now),
      ends_at: isoNow(endOf(request, now)),
      comment: request.comment ?? '',
      created_by: by,
    };
    this.#silenceStore.add(silence);
    this.#silencesChanged();
    return silence;
  }

  listSilences(): Silence[] {
    return this.#silences.map(({ silence }) => silence);
  }

  /** Whether there was such a silence (ended ones are gone). */
  deleteSilence(id: string): boolean {
    const removed = this.#silenceStore.remove(id);
    if (removed) this.#silencesChanged();
    return removed;
  }

  reconfigure(repeatIntervalSeconds: number): void {
    this.#repeatMs = repeatIntervalSeconds * 1000;
    this.#scheduleReminders();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#reminderTimer);
    clearTimeout(this.#silenceTimer);
  }

  #isSilenced(name: string, data: EventData): boolean {
    if (this.#silences.length === 0) return false;
    const dot = name.indexOf('.');
    const event = { name, type: 'alert', subtype: name.slice(dot + 1), data } as HubEvent;
    return this.#silences.some(({ matches }) => matches(event));
  }

  #loadSilences(): ActiveSilence[] {
    return this.#silenceStore.active(isoNow()).map((silence) => ({ silence, matches: eventFilter(['alert.*'], silence.matchers) }));
  }

  /** Silences were added, deleted or ended: the alerts whose silencing changed are published again. */
  #silencesChanged(): void {
    this.#silences = this.#loadSilences();
    this.#scheduleSilenceEnd();
    for (const record of this.#ledger?.activeAlerts() ?? []) {
      const silenced = this.#isSilenced(`alert.${record.type}`, record as unknown as EventData);
      if (silenced !== (this.#silenced.get(record.alert_id) ?? false)) this.#ledger?.update(record.alert_id, () => ({}));
    }
    this.#scheduleReminders();
  }

  #scheduleSilenceEnd(): void {
    clearTimeout(this.#silenceTimer);
    const next = this.#silences[0];
    if (!next || this.#stopped) return;
    this.#silenceTimer = setTimeout(
      () => {
        try {
          this.#silenceStore.pruneEnded(isoNow());
          this.#silencesChanged();
        } catch (error) {
          this.#onError(error);
        }
      },
      Math.min(MAX_TIMER_MS, Math.max(0, Date.parse(next.silence.ends_at) - Date.now())),
    );
    this.#silenceTimer.unref();
  }

  #markNotified(alertId: string, repeat: unknown): void {
    const reminders = typeof repeat === 'number' ? repeat : (this.#notified.get(alertId)?.reminders ?? 0);
    const at = Date.now();
    this.#notified.set(alertId, { at, reminders });
    this.#store.markNotified(alertId, isoNow(at), reminders);
  }

  /** An alert that would be reminded of: active, not acknowledged, not silenced. */
  #remindable(record: AlertRecord): boolean {
    return !this.#acknowledgements.has(record.alert_id) && !(this.#silenced.get(record.alert_id) ?? false);
  }

  #dueAt(record: AlertRecord): number {
    return (this.#notified.get(record.alert_id)?.at ?? Date.parse(record.updated_at)) + this.#repeatMs;
  }

  #scheduleReminders(): void {
    clearTimeout(this.#reminderTimer);
    if (this.#repeatMs <= 0 || this.#stopped || !this.#ledger) return;
    let next = Number.POSITIVE_INFINITY;
    for (const record of this.#ledger.activeAlerts()) {
      if (this.#remindable(record) && !this.#reminding.has(record.alert_id)) next = Math.min(next, this.#dueAt(record));
    }
    if (next === Number.POSITIVE_INFINITY) return;
    this.#reminderTimer = setTimeout(() => this.#remind(), Math.min(MAX_TIMER_MS, Math.max(0, next - Date.now())));
    this.#reminderTimer.unref();
  }

  #remind(): void {
    const ledger = this.#ledger;
    if (!ledger) return;
    const now = Date.now();
    for (const record of ledger.activeAlerts()) {
      const alertId = record.alert_id;
      if (!this.#remindable(record) || this.#reminding.has(alertId) || this.#dueAt(record) > now) continue;
      this.#reminding.add(alertId);
      // Checked again in turn: an acknowledgement or a silence may have come first.
      ledger.update(alertId, (current) => {
        this.#reminding.delete(alertId);
        if (!this.#remindable(current) || this.#repeatMs <= 0) return undefined;
        return { repeat: (this.#notified.get(alertId)?.reminders ?? 0) + 1 };
      });
    }
    this.#scheduleReminders();
  }
}

/** When a silence asked for ends: `ends_at` or `duration` from now, exactly one, in the future, at most a year ahead. */
function endOf({ ends_at: endsAt, duration }: SilenceCreate, now: number): number {
  if ((endsAt === undefined) === (duration === undefined))
    throw new SilenceError('give "ends_at" (ISO 8601) or "duration" (seconds), one of them');
  const end = endsAt === undefined ? now + duration! * 1000 : Date.parse(endsAt);
  if (!Number.isFinite(end)) throw new SilenceError('ends_at: not an ISO 8601 time');
  if (end <= now) throw new SilenceError('ends_at: must be in the future');
  if (end > now + MAX_SILENCE_SECONDS * 1000) throw new SilenceError(`ends_at: at most ${MAX_SILENCE_SECONDS / 86_400} days ahead`);
  return end;
}
