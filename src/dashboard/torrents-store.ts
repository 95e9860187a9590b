/**
 * The Torrents panel's state: the live table (the SDK's TorrentTable on the session's client), the
 * changes the next frame must draw, qBittorrent's transfer figures and their history, and the REST
 * calls the panel makes (adding links, row actions) with their outcome.
 */
import {
  type AddResult,
  type QbittorrentTransfer,
  type QbtMonitorClient,
  type TorrentTableChange,
  TorrentTable,
  TorrentsApi,
} from '../client/index.js';
import { TRANSFER_METRICS, TRANSFER_MINUTES, TransferHistory } from './transfer-history.js';

export type RowAction = 'stop' | 'start' | 'recheck' | 'delete';

export type AddState = { phase: 'idle' } | { phase: 'adding' } | { phase: 'done'; result: AddResult } | { phase: 'failed'; reason: string };

export interface ActionFailure {
  action: RowAction;
  name: string;
  reason: string;
}

export class TorrentsStore {
  /** The live table while signed in. */
  table: TorrentTable | undefined;
  transfer: QbittorrentTransfer | undefined;
  readonly history = new TransferHistory();
  /** Rows with an action under way, and which. */
  readonly busy = new Map<string, RowAction>();
  lastFailure: ActionFailure | undefined;
  addState: AddState = { phase: 'idle' };
  #api: TorrentsApi | undefined;
  #pending = emptyChange();
  /** Whether the transfer figures, the add box or the action outcome changed since the last frame. */
  #figuresChanged = true;
  readonly #changed: () => void;

  constructor(changed: () => void) {
    this.#changed = changed;
  }

  /** Follows a session's client: its table, its transfer figures and their history on each (re)connection. Returns the function that stops. */
  attach(client: QbtMonitorClient, service: { url: string; apiKey: string }): () => void {
    const table = new TorrentTable(client);
    this.table = table;
    this.#api = new TorrentsApi(service);
    const loadHistory = () =>
      client.requestData(TRANSFER_METRICS, TRANSFER_MINUTES).then(
        (reply) => {
          this.history.applyHistory(reply);
          this.#figures();
        },
        // The chart then starts from the live figures.
        () => undefined,
      );
    const stops = [
      table.onChange((change) => this.#note(change)),
      client.on('performance', (data, message) => {
        if (!('connection_status' in data)) return;
        this.transfer = data;
        this.history.add(Date.parse(message.timestamp), data);
        this.#figures();
      }),
      client.on('connection', (data) => {
        if (data.status === 'connected') void loadHistory();
      }),
    ];
    return () => {
      for (const stop of stops) stop();
      table.close();
    };
  }

  /** Forgets everything shown, for a new session. */
  reset(): void {
    this.table = undefined;
    this.#api = undefined;
    this.transfer = undefined;
    this.history.clear();
    this.busy.clear();
    this.lastFailure = undefined;
    this.addState = { phase: 'idle' };
    this.#pending = { ...emptyChange(), reset: true };
    this.#figures();
  }

  /** The table's changes since the last call, merged: what the next frame draws. */
  takeChange(): TorrentTableChange {
    const { reset, changed, removed } = this.#pending;
    this.#pending = emptyChange();
    return { reset, changed: [...changed], removed: [...removed] };
  }

  /** Whether the figures, the add box or an action's outcome changed since the last call. */
  takeFiguresChanged(): boolean {
    const changed = this.#figuresChanged;
    this.#figuresChanged = false;
    return changed;
  }

  async add(text: string): Promise<void> {
    const api = this.#api;
    const urls = text.split(/\s+/).filter(Boolean);
    if (!api || urls.length === 0) return;
    this.addState = { phase: 'adding' };
    this.#figures();
    try {
      this.addState = { phase: 'done', result: await api.add(urls) };
    } catch (error) {
      this.addState = { phase: 'failed', reason: reasonOf(error) };
    }
    this.#figures();
  }

  /** Asks the service to act on a row (admin keys); the row's new state arrives as `torrent.updated`. */
  async act(hash: string, action: RowAction, options: { deleteFiles?: boolean } = {}): Promise<void> {
    const api = this.#api;
    const name = this.table?.get(hash)?.name ?? hash;
    if (!api || this.busy.has(hash)) return;
    this.busy.set(hash, action);
    this.#row(hash);
    try {
      if (action === 'delete') await api.delete(hash, options);
      else await api[action](hash);
      this.lastFailure = undefined;
    } catch (error) {
      this.lastFailure = { action, name, reason: reasonOf(error) };
    }
    this.busy.delete(hash);
    this.#row(hash);
    this.#figures();
  }

  #note(change: TorrentTableChange): void {
    const pending = this.#pending;
    if (change.reset) {
      this.#pending = { reset: true, changed: new Set(), removed: new Set() };
    } else if (!pending.reset) {
      // A reset redraws everything anyway; otherwise the hashes add up.
      for (const hash of change.removed) {
        pending.changed.delete(hash);
        pending.removed.add(hash);
      }
      for (const hash of change.changed) pending.changed.add(hash);
    }
    this.#changed();
  }

  #row(hash: string): void {
    if (!this.#pending.reset) this.#pending.changed.add(hash);
    this.#changed();
  }

  #figures(): void {
    this.#figuresChanged = true;
    this.#changed();
  }
}

function emptyChange(): { reset: boolean; changed: Set<string>; removed: Set<string> } {
  return { reset: false, changed: new Set(), removed: new Set() };
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
