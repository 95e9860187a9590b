/** What the page knows of alert management (notification targets, silences, the alert history) and of its own actions on alerts; each change names its section. */
import type { AlertHistoryEntry, NotificationTargetState, NotificationTestReply, Silence } from '../protocol/index.js';

/** A page of GET /api/v1/alerts. */
export interface AlertHistoryPage {
  alerts: AlertHistoryEntry[];
  next_before: string | null;
}

export type ManagementSection = 'alerts' | 'notifications' | 'silences' | 'history';

/** An acknowledgement or silence this page asked for on an alert: under way, or why it failed. */
export interface AlertAction {
  busy: boolean;
  error?: string;
}

export type TestOutcome = { busy: true } | ({ busy: false; at: number } & (NotificationTestReply | { error: string; delivered: false }));

/** History entries shown, newest first; pages of older ones are added on request. */
const MAX_HISTORY = 500;

export class ManagementState {
  targets: NotificationTargetState[] | undefined;
  targetsError: string | undefined;
  readonly testOutcomes = new Map<string, TestOutcome>();
  silences: Silence[] | undefined;
  silencesError: string | undefined;
  /** Delete requests under way, and why the last failed. */
  readonly silenceDeletes = new Map<string, AlertAction>();
  history: AlertHistoryEntry[] = [];
  /** The cursor of the next older page; null when the oldest is shown; undefined before the first page. */
  historyNext: string | null | undefined;
  historyLoading = false;
  historyError: string | undefined;
  readonly actions = new Map<string, { acknowledge?: AlertAction; silence?: AlertAction }>();
  /** Older pages added since the first: the first page's refreshes then update the list instead of replacing it. */
  #olderPages = 0;
  readonly #changed: (section: ManagementSection) => void;

  constructor(changed: (section: ManagementSection) => void) {
    this.#changed = changed;
  }

  reset(): void {
    this.targets = undefined;
    this.targetsError = undefined;
    this.testOutcomes.clear();
    this.silences = undefined;
    this.silencesError = undefined;
    this.silenceDeletes.clear();
    this.history = [];
    this.historyNext = undefined;
    this.historyLoading = false;
    this.historyError = undefined;
    this.#olderPages = 0;
    this.actions.clear();
  }

  applyTargets(targets: NotificationTargetState[]): void {
    this.targets = targets;
    this.targetsError = undefined;
    this.#changed('notifications');
  }

  targetsFailed(reason: string): void {
    this.targetsError = reason;
    this.#changed('notifications');
  }

  testing(name: string): void {
    this.testOutcomes.set(name, { busy: true });
    this.#changed('notifications');
  }

  tested(name: string, outcome: NotificationTestReply | { error: string; delivered: false }, now = Date.now()): void {
    this.testOutcomes.set(name, { busy: false, at: now, ...outcome });
    this.#changed('notifications');
  }

  applySilences(silences: Silence[]): void {
    this.silences = [...silences].sort((a, b) => Date.parse(a.ends_at) - Date.parse(b.ends_at));
    this.silencesError = undefined;
    for (const id of this.silenceDeletes.keys()) if (!silences.some((silence) => silence.id === id)) this.silenceDeletes.delete(id);
    this.#changed('silences');
  }

  silencesFailed(reason: string): void {
    this.silencesError = reason;
    this.#changed('silences');
  }

  deleting(id: string, action: AlertAction): void {
    this.silenceDeletes.set(id, action);
    this.#changed('silences');
  }

  /** An action of this page on an alert changed state (an undefined action is done). */
  setAction(alertId: string, kind: 'acknowledge' | 'silence', action: AlertAction | undefined): void {
    const actions = { ...this.actions.get(alertId) };
    if (action) actions[kind] = action;
    else delete actions[kind];
    this.actions.set(alertId, actions);
    this.#changed('alerts');
  }

  historyRequested(): void {
    this.historyLoading = true;
    this.#changed('history');
  }

  /**
   * A page of the history. An older page adds to what is shown. The first (newest) page, read again as alerts
   * change, is the whole list until older pages were added; after that it updates their entries, each alert once.
   */
  applyHistory(page: AlertHistoryPage, older: boolean): void {
    if (!older && this.#olderPages === 0) {
      this.history = page.alerts;
      this.historyNext = page.next_before;
    } else {
      const byId = new Map(this.history.map((entry) => [entry.alert_id, entry]));
      for (const entry of page.alerts) byId.set(entry.alert_id, entry);
      this.history = [...byId.values()]
        .sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at) || (a.alert_id < b.alert_id ? 1 : -1))
        .slice(0, MAX_HISTORY);
      if (older) {
        this.#olderPages += 1;
        this.historyNext = page.next_before;
      }
    }
    this.historyLoading = false;
    this.historyError = undefined;
    this.#changed('history');
  }

  historyFailed(reason: string): void {
    this.historyLoading = false;
    this.historyError = reason;
    this.#changed('history');
  }
}
