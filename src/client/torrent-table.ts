/**
 * The live torrent table on the client: started from `torrent.list`, kept by every `torrent.updated` in
 * order, started again from the next `torrent.list` (after a reconnection). Listeners learn which rows
 * changed, so that a view redraws those rows only.
 */
import { EventName } from '../protocol/events.js';
import { TORRENT_STATE_GROUPS, type TorrentStateGroup, torrentStateGroup } from '../protocol/torrent-groups.js';
import { applyTorrentUpdate } from '../protocol/torrent-updates.js';
import type { TorrentRow } from '../protocol/torrents.js';
import type { QbtMonitorClient } from './client.js';
import { Emitter } from './emitter.js';
import { eventNameOf } from './subscription-view.js';

export interface TorrentTableChange {
  /** The whole table was replaced (a `torrent.list`): redraw everything. */
  reset: boolean;
  /** Hashes whose rows are new or changed. */
  changed: readonly string[];
  /** Hashes whose rows are gone. */
  removed: readonly string[];
}

type TableEvents = { change: (change: TorrentTableChange) => void };

export class TorrentTable {
  readonly #rows = new Map<string, TorrentRow>();
  readonly #events = new Emitter<TableEvents>();
  readonly #stop: () => void;
  #listed = false;

  /** Follows the client's `torrent` events from now on (the server sends `torrent.list` on every connection). */
  constructor(client: Pick<QbtMonitorClient, 'on'>) {
    this.#stop = client.on('torrent', (data, message) => {
      const name = eventNameOf(message);
      if (name === EventName.torrentList && 'torrents' in data) {
        this.#rows.clear();
        for (const row of data.torrents) this.#rows.set(row.hash, { ...row });
        this.#listed = true;
        this.#events.emit('change', { reset: true, changed: [...this.#rows.keys()], removed: [] });
      } else if (name === EventName.torrentUpdated && 'changed' in data) {
        applyTorrentUpdate(this.#rows, data);
        this.#events.emit('change', { reset: false, changed: Object.keys(data.changed), removed: data.removed });
      }
    });
  }

  /** Whether a `torrent.list` has arrived: before it the table is empty for want of knowing, not because qBittorrent is. */
  get ready(): boolean {
    return this.#listed;
  }

  get size(): number {
    return this.#rows.size;
  }

  get(hash: string): Readonly<TorrentRow> | undefined {
    return this.#rows.get(hash);
  }

  /** Every row, in no particular order (the table's own objects: read, do not change). */
  rows(): IterableIterator<Readonly<TorrentRow>> {
    return this.#rows.values();
  }

  /** Torrents by state group, and in all. */
  counts(): Record<'total' | TorrentStateGroup, number> {
    const counts = Object.fromEntries(['total', ...TORRENT_STATE_GROUPS].map((group) => [group, 0])) as Record<
      'total' | TorrentStateGroup,
      number
    >;
    for (const row of this.#rows.values()) counts[torrentStateGroup(row.state)] += 1;
    counts.total = this.#rows.size;
    return counts;
  }

  /** Called after every change with what changed; returns the function that stops it. */
  onChange(handler: TableEvents['change']): () => void {
    return this.#events.on('change', handler);
  }

  /** Stops following the client. */
  close(): void {
    this.#stop();
  }
}
