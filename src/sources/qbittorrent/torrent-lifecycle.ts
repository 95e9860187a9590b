/**
 * The torrent lifecycle: from each change of the table, the durable events due — `torrent.removed`,
 * `added`, `completed` (once per torrent, also for one added complete), `errored` (on entering
 * `error`/`missingFiles`), `stalled` (a download without progress for `stalled_after`) — remembered
 * in the store so that a restart announces what it missed and repeats nothing.
 */
import {
  EventName,
  type TorrentLifecycle as LifecycleData,
  type TorrentRow,
  type TorrentStateGroup,
  torrentStateGroup,
} from '../../protocol/index.js';
import type { KnownTorrent, TorrentLifecycleStore } from '../../store/torrent-lifecycle-store.js';
import type { TableChanges, TorrentTable } from './torrent-table.js';

export interface LifecycleEvent {
  name: (typeof EventName)['torrentAdded' | 'torrentCompleted' | 'torrentErrored' | 'torrentStalled' | 'torrentRemoved'];
  data: LifecycleData;
}

/** Groups in which an incomplete torrent is expected to make progress. */
const DOWNLOADING: ReadonlySet<TorrentStateGroup> = new Set(['downloading', 'stalled']);

export function lifecycleData(row: TorrentRow): LifecycleData {
  const { hash, name, state, progress, size, category, tags, save_path, added_on, completion_on, source } = row;
  return { hash, name, state, progress, size, category, tags: [...tags], save_path, added_on, completion_on, source };
}

export class TorrentLifecycleTracker {
  readonly #store: TorrentLifecycleStore;
  readonly #known: Map<string, KnownTorrent>;
  #stalledAfterMs: number;
  /**
   * Incomplete torrents expected to progress, with when their progress last moved (or they began to
   * download), oldest first: an entry that moves is deleted and set again, so that a sync looks only at
   * the torrents whose time is up, not at every download.
   */
  readonly #progressAt = new Map<string, { progress: number; at: number }>();
  /** Downloads past `stalled_after`, with the progress they stalled at. */
  readonly #stalledAt = new Map<string, number>();
  /** Whether this run has compared qBittorrent's list with what the store knew. */
  #reconciled = false;

  constructor(store: TorrentLifecycleStore, stalledAfterMs: number) {
    this.#store = store;
    this.#known = store.known();
    this.#stalledAfterMs = stalledAfterMs;
  }

  set stalledAfterMs(ms: number) {
    this.#stalledAfterMs = ms;
  }

  /**
   * The events due after `changes` were applied to `table`, in order, at time `now`. The first call of a
   * run compares the whole table with the store: torrents added or removed while the service was down
   * are announced then; on the very first sync ever, the torrents already there are not news.
   */
  observe(table: TorrentTable, changes: TableChanges, now: number): LifecycleEvent[] {
    const events: LifecycleEvent[] = [];
    const dirty = new Map<string, KnownTorrent>();
    const forget: string[] = [];

    const removedRows = this.#reconciled ? changes.removed : [];
    if (!this.#reconciled) {
      for (const [hash, known] of this.#known) if (!table.get(hash)) removedRows.push(rowOf(known));
    }
    for (const row of removedRows) {
      this.#known.delete(row.hash);
      this.#progressAt.delete(row.hash);
      this.#stalledAt.delete(row.hash);
      forget.push(row.hash);
      events.push({ name: EventName.torrentRemoved, data: lifecycleData(row) });
    }

    const firstEver = !this.#reconciled && !this.#store.hasBaseline();
    const candidates = this.#reconciled
      ? [...changes.added, ...Object.keys(changes.delta.changed)]
      : [...table.rows()].map((row) => row.hash);
    for (const hash of new Set(candidates)) {
      const row = table.get(hash);
      if (row) this.#check(row, firstEver, now, events, dirty);
    }
    for (const [hash, since] of this.#progressAt) {
      if (now - since.at < this.#stalledAfterMs) break;
      this.#progressAt.delete(hash);
      this.#stalledAt.set(hash, since.progress);
      const known = this.#known.get(hash);
      const row = table.get(hash);
      // Announced already (before a restart, say): watched for progress, not announced again.
      if (!known || !row || known.stalled) continue;
      known.stalled = true;
      known.data = lifecycleData(row);
      dirty.set(hash, known);
      events.push({ name: EventName.torrentStalled, data: known.data });
    }
    if (forget.length > 0) this.#store.remove(forget);
    if (dirty.size > 0 || !this.#reconciled) this.#store.save([...dirty]);
    this.#reconciled = true;
    return events;
  }

  /** Updates one torrent's record from its row, appending the events its change calls for. */
  #check(row: TorrentRow, quiet: boolean, now: number, events: LifecycleEvent[], dirty: Map<string, KnownTorrent>): void {
    const group = torrentStateGroup(row.state);
    let known = this.#known.get(row.hash);
    if (!known) {
      known = { completed: false, errored: false, stalled: false, data: lifecycleData(row) };
      this.#known.set(row.hash, known);
      dirty.set(row.hash, known);
      if (!quiet) events.push({ name: EventName.torrentAdded, data: lifecycleData(row) });
    }
    const announce = (name: LifecycleEvent['name']) => {
      known.data = lifecycleData(row);
      dirty.set(row.hash, known);
      if (!quiet) events.push({ name, data: known.data });
    };
    if (!known.completed && row.progress >= 1) {
      known.completed = true;
      announce(EventName.torrentCompleted);
    }
    const errored = group === 'errored';
    if (errored !== known.errored) {
      known.errored = errored;
      if (errored) announce(EventName.torrentErrored);
      else dirty.set(row.hash, known);
    }
    this.#watchProgress(row, group, known, now, dirty);
  }

  /** Starts, moves or stops the torrent's stalled clock; progress ends a stall. */
  #watchProgress(row: TorrentRow, group: TorrentStateGroup, known: KnownTorrent, now: number, dirty: Map<string, KnownTorrent>): void {
    const endStall = () => {
      if (!known.stalled) return;
      known.stalled = false;
      dirty.set(row.hash, known);
    };
    if (row.progress >= 1 || !DOWNLOADING.has(group)) {
      this.#progressAt.delete(row.hash);
      this.#stalledAt.delete(row.hash);
      endStall();
      return;
    }
    const stalledAt = this.#stalledAt.get(row.hash);
    if (stalledAt !== undefined) {
      if (stalledAt === row.progress) return;
      this.#stalledAt.delete(row.hash);
      endStall();
    } else {
      const since = this.#progressAt.get(row.hash);
      if (since?.progress === row.progress) return;
      // Progress since a stall announced before a restart ends it too.
      if (since) endStall();
      this.#progressAt.delete(row.hash);
    }
    this.#progressAt.set(row.hash, { progress: row.progress, at: now });
  }
}

/** A row good enough to announce a torrent that was removed while the service was down: its last recorded state. */
function rowOf(known: KnownTorrent): TorrentRow {
  return { ...known.data, dl_speed: 0, up_speed: 0, eta: null, ratio: 0, num_seeds: 0, num_leechs: 0 };
}
