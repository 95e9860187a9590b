/**
 * The sync source's copy of qBittorrent's torrent list: each maindata answer is applied to it, and what
 * changed comes out as a `torrent.updated` delta (only the fields that changed; a new torrent whole).
 * A full answer is compared with the table, so a reconnect or a restarted qBittorrent yields the real
 * differences, not the whole list again. Counts by state group are kept as rows change.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  TORRENT_STATE_GROUPS,
  type TorrentRow,
  type TorrentSource,
  type TorrentStateGroup,
  type TorrentUpdated,
  torrentStateGroup,
} from '../../protocol/index.js';
import { type Maindata, ROW_FIELD_OF, type RawTorrent } from './maindata.js';

export interface TableChanges {
  /** The `torrent.updated` delta; empty when nothing a client sees changed. */
  delta: TorrentUpdated;
  /** Hashes new to the table (their rows are whole in `delta.changed`). */
  added: string[];
  /** Rows gone from qBittorrent, as they last were. */
  removed: TorrentRow[];
}

/** Who added a torrent new to the table, from its hash and first entry. */
export type SourceOf = (hash: string, raw: RawTorrent) => TorrentSource;

/** Torrents handled between two turns of the event loop while applying a large answer. */
const YIELD_EVERY = 1000;

export class TorrentTable {
  readonly #rows = new Map<string, TorrentRow>();
  readonly #counts = Object.fromEntries(TORRENT_STATE_GROUPS.map((group) => [group, 0])) as Record<TorrentStateGroup, number>;

  get size(): number {
    return this.#rows.size;
  }

  get(hash: string): TorrentRow | undefined {
    return this.#rows.get(hash);
  }

  rows(): IterableIterator<TorrentRow> {
    return this.#rows.values();
  }

  /** Torrents by state group. */
  counts(): Readonly<Record<TorrentStateGroup, number>> {
    return this.#counts;
  }

  /** Applies one maindata answer. A large one is applied in steps, with the event loop free between them. */
  async apply(maindata: Maindata, sourceOf: SourceOf): Promise<TableChanges> {
    const changes: TableChanges = { delta: { changed: {}, removed: [] }, added: [], removed: [] };
    const removedHashes = maindata.fullUpdate
      ? [...this.#rows.keys()].filter((hash) => !Object.hasOwn(maindata.torrents, hash))
      : maindata.removed;
    for (const hash of removedHashes) {
      const row = this.#rows.get(hash);
      if (!row) continue;
      this.#rows.delete(hash);
      this.#counts[torrentStateGroup(row.state)] -= 1;
      changes.delta.removed.push(hash);
      changes.removed.push(row);
    }
    let handled = 0;
    for (const [hash, raw] of Object.entries(maindata.torrents)) {
      const row = this.#rows.get(hash);
      if (row) {
        const changed = this.#update(row, raw);
        if (changed) changes.delta.changed[hash] = changed;
      } else {
        const created = newRow(hash, raw, sourceOf(hash, raw));
        this.#rows.set(hash, created);
        this.#counts[torrentStateGroup(created.state)] += 1;
        changes.delta.changed[hash] = { ...created };
        changes.added.push(hash);
      }
      handled += 1;
      if (handled % YIELD_EVERY === 0) await yieldToEventLoop();
    }
    return changes;
  }

  /** Sets the fields of `raw` that differ from the row's; returns them, or undefined when none did. */
  #update(row: TorrentRow, raw: RawTorrent): Partial<TorrentRow> | undefined {
    let changed: Record<string, unknown> | undefined;
    for (const key in raw) {
      const mapping = ROW_FIELD_OF[key];
      if (!mapping) continue;
      const value = mapping.convert(raw[key]);
      const current = row[mapping.field];
      if (sameValue(current, value)) continue;
      if (mapping.field === 'state') {
        this.#counts[torrentStateGroup(current as string)] -= 1;
        this.#counts[torrentStateGroup(value as string)] += 1;
      }
      (row as Record<string, unknown>)[mapping.field] = value;
      (changed ??= {})[mapping.field] = value;
    }
    return changed as Partial<TorrentRow> | undefined;
  }
}

function newRow(hash: string, raw: RawTorrent, source: TorrentSource): TorrentRow {
  // Every field present, in one order, whatever qBittorrent left out.
  const row: TorrentRow = {
    hash,
    name: '',
    state: '',
    progress: 0,
    size: 0,
    category: '',
    tags: [],
    save_path: '',
    added_on: new Date(0).toISOString(),
    completion_on: null,
    source,
    dl_speed: 0,
    up_speed: 0,
    eta: null,
    ratio: 0,
    num_seeds: 0,
    num_leechs: 0,
  };
  for (const key in raw) {
    const mapping = ROW_FIELD_OF[key];
    if (mapping) (row as Record<string, unknown>)[mapping.field] = mapping.convert(raw[key]);
  }
  return row;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => item === b[index]);
  return a === b;
}
