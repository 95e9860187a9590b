/** The torrents the clipboard monitor has added (by info-hash or URL), in SQLite: never added twice, across restarts too. */
import type { LinkSource } from '../protocol/index.js';
import type { SeenStore } from './seen-store.js';
import type { Db } from './database.js';

export function createSqliteSeenStore(db: Db): SeenStore {
  const has = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM seen_torrents WHERE key = ?');
  const add = db.prepare('INSERT OR IGNORE INTO seen_torrents (key, seen_at, source) VALUES (?, ?, ?)');
  const source = db.prepare<[string], { source: LinkSource | null }>('SELECT source FROM seen_torrents WHERE key = ?');
  return {
    has: (key) => has.get(key) !== undefined,
    add: (key, from) => void add.run(key, Date.now(), from),
    sourceOf: (key) => source.get(key)?.source ?? undefined,
  };
}
