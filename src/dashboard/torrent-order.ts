/**
 * Which torrents the panel shows and in what order: filtered by state group, category and a name search,
 * sorted by one column. Kept across deltas: the order is rebuilt only when a change could move a row
 * (a field it is filtered or sorted by changed, a row came or went), never for speeds it does not sort by.
 */
import {
  TORRENT_STATE_GROUPS,
  type TorrentRow,
  type TorrentStateGroup,
  type TorrentTableChange,
  torrentStateGroup,
} from '../client/index.js';

export const SORT_FIELDS = ['name', 'size', 'progress', 'state', 'dl_speed', 'up_speed', 'eta', 'ratio', 'category'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export interface TorrentFilter {
  group: 'all' | TorrentStateGroup;
  /** Undefined for every category; '' for torrents without one. */
  category: string | undefined;
  /** Part of the name, any case. */
  search: string;
  sort: SortField;
  descending: boolean;
}

/** The rows, as the SDK's TorrentTable keeps them. */
export interface RowSource {
  get(hash: string): Readonly<TorrentRow> | undefined;
  rows(): Iterable<Readonly<TorrentRow>>;
}

/** What of a row decides where it shows. */
interface Placement {
  group: TorrentStateGroup;
  category: string;
  name: string;
  sortValue: string | number;
  completedAt: string | null;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export class TorrentOrder {
  #filter: TorrentFilter = { group: 'all', category: undefined, search: '', sort: 'name', descending: false };
  /** The hashes shown, in order. */
  order: readonly string[] = [];
  /** Torrents by category (with '' for none), for the category filter. */
  readonly categories = new Map<string, number>();
  readonly #placements = new Map<string, Placement>();
  #filterChanged = true;
  #completionChanged = true;

  get filter(): Readonly<TorrentFilter> {
    return this.#filter;
  }

  /** Applies at the next update(); a new sort field takes every row's value of it again. */
  setFilter(changes: Partial<TorrentFilter>, rows: RowSource): void {
    const sortChanged = changes.sort !== undefined && changes.sort !== this.#filter.sort;
    this.#filter = { ...this.#filter, ...changes };
    this.#filterChanged = true;
    if (!sortChanged) return;
    for (const [hash, place] of this.#placements) {
      const row = rows.get(hash);
      if (row) place.sortValue = this.#sortValue(row, place.group);
    }
  }

  /** Takes the table's pending change; returns whether `order` was rebuilt (every shown row may have moved). */
  update(rows: RowSource, change: TorrentTableChange): boolean {
    let stale = this.#filterChanged || change.reset;
    this.#filterChanged = false;
    if (change.reset) {
      this.#placements.clear();
      this.categories.clear();
      for (const row of rows.rows()) this.#place(row.hash, this.#placementOf(row));
      this.#completionChanged = true;
    } else {
      for (const hash of change.removed) {
        if (this.#unplace(hash)) stale = true;
      }
      for (const hash of change.changed) {
        const row = rows.get(hash);
        if (!row) continue;
        const before = this.#placements.get(hash);
        const after = this.#placementOf(row);
        if (before && samePlace(before, after)) continue;
        if (before) this.#unplace(hash);
        this.#place(hash, after);
        stale = true;
      }
    }
    if (stale) this.#rebuild();
    return stale;
  }

  /** The `count` most recently completed torrents, newest first; undefined when that cannot have changed since the last call (unless `always`). */
  recentlyCompleted(rows: RowSource, count: number, always = false): Array<Readonly<TorrentRow>> | undefined {
    if (!this.#completionChanged && !always) return undefined;
    this.#completionChanged = false;
    const done = [...this.#placements].filter(([, place]) => place.completedAt !== null);
    done.sort(([, a], [, b]) => (a.completedAt! < b.completedAt! ? 1 : a.completedAt! > b.completedAt! ? -1 : 0));
    return done.slice(0, count).flatMap(([hash]) => rows.get(hash) ?? []);
  }

  #placementOf(row: Readonly<TorrentRow>): Placement {
    const group = torrentStateGroup(row.state);
    return {
      group,
      category: row.category,
      name: row.name.toLowerCase(),
      sortValue: this.#sortValue(row, group),
      completedAt: row.completion_on,
    };
  }

  #sortValue(row: Readonly<TorrentRow>, group: TorrentStateGroup): string | number {
    const { sort } = this.#filter;
    if (sort === 'state') return `${TORRENT_STATE_GROUPS.indexOf(group)}:${row.state}`;
    // An unknown ETA is the longest.
    if (sort === 'eta') return row.eta ?? Number.POSITIVE_INFINITY;
    return row[sort];
  }

  #place(hash: string, place: Placement): void {
    this.#placements.set(hash, place);
    this.categories.set(place.category, (this.categories.get(place.category) ?? 0) + 1);
    if (place.completedAt !== null) this.#completionChanged = true;
  }

  /** Forgets a row; returns whether it was known. */
  #unplace(hash: string): boolean {
    const place = this.#placements.get(hash);
    if (!place) return false;
    this.#placements.delete(hash);
    const left = (this.categories.get(place.category) ?? 1) - 1;
    if (left > 0) this.categories.set(place.category, left);
    else this.categories.delete(place.category);
    if (place.completedAt !== null) this.#completionChanged = true;
    return true;
  }

  #rebuild(): void {
    const { group, category, search, descending } = this.#filter;
    const needle = search.trim().toLowerCase();
    const shown: Array<[string, Placement]> = [];
    for (const [hash, place] of this.#placements) {
      if (group !== 'all' && place.group !== group) continue;
      if (category !== undefined && place.category !== category) continue;
      if (needle && !place.name.includes(needle)) continue;
      shown.push([hash, place]);
    }
    const direction = descending ? -1 : 1;
    shown.sort(([hashA, a], [hashB, b]) => direction * compare(a.sortValue, b.sortValue) || (hashA < hashB ? -1 : 1));
    this.order = shown.map(([hash]) => hash);
  }
}

function samePlace(a: Placement, b: Placement): boolean {
  return (
    a.group === b.group && a.category === b.category && a.name === b.name && a.sortValue === b.sortValue && a.completedAt === b.completedAt
  );
}

function compare(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  return collator.compare(String(a), String(b));
}
