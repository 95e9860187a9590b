/**
 * What the torrent lifecycle remembers across restarts, in SQLite: each known torrent with the
 * lifecycle events already announced for it, so that a restart announces what happened while the
 * service was down (added, completed, removed...) and nothing twice.
 */
import type { TorrentLifecycle } from '../protocol/index.js';
import type { Db } from './database.js';

export interface KnownTorrent {
  completed: boolean;
  errored: boolean;
  stalled: boolean;
  /** The torrent as of its last recorded change, for a `torrent.removed` noticed after a restart. */
  data: TorrentLifecycle;
}

export interface TorrentLifecycleStore {
  /** Whether a first sync was ever recorded: before it, the torrents qBittorrent already has are not news. */
  hasBaseline(): boolean;
  known(): Map<string, KnownTorrent>;
  /** Records these torrents (and the baseline) in one transaction. */
  save(entries: ReadonlyArray<[string, KnownTorrent]>): void;
  remove(hashes: readonly string[]): void;
}

interface Row {
  hash: string;
  completed: number;
  errored: number;
  stalled: number;
  data: string;
}

export function createSqliteTorrentLifecycleStore(db: Db): TorrentLifecycleStore {
  const baseline = db.prepare<[], { one: number }>('SELECT 1 AS one FROM torrent_sync_baseline');
  const markBaseline = db.prepare('INSERT OR IGNORE INTO torrent_sync_baseline (id, taken_at) VALUES (1, ?)');
  const all = db.prepare<[], Row>('SELECT hash, completed, errored, stalled, data FROM torrent_lifecycle');
  const upsert = db.prepare(
    `INSERT INTO torrent_lifecycle (hash, completed, errored, stalled, data) VALUES (@hash, @completed, @errored, @stalled, @data)
     ON CONFLICT (hash) DO UPDATE SET completed = excluded.completed, errored = excluded.errored, stalled = excluded.stalled, data = excluded.data`,
  );
  const remove = db.prepare<[string]>('DELETE FROM torrent_lifecycle WHERE hash = ?');
  const save = db.transaction((entries: ReadonlyArray<[string, KnownTorrent]>) => {
    markBaseline.run(Date.now());
    for (const [hash, known] of entries) {
      upsert.run({
        hash,
        completed: Number(known.completed),
        errored: Number(known.errored),
        stalled: Number(known.stalled),
        data: JSON.stringify(known.data),
      });
    }
  });
  const removeAll = db.transaction((hashes: readonly string[]) => {
    for (const hash of hashes) remove.run(hash);
  });
  return {
    hasBaseline: () => baseline.get() !== undefined,
    known: () =>
      new Map(
        all.all().map((row) => [
          row.hash,
          {
            completed: row.completed === 1,
            errored: row.errored === 1,
            stalled: row.stalled === 1,
            data: JSON.parse(row.data) as TorrentLifecycle,
          },
        ]),
      ),
    save: (entries) => save(entries),
    remove: (hashes) => removeAll(hashes),
  };
}
