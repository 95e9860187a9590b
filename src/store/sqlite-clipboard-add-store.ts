/** The clipboard monitor's adds in SQLite (table clipboard_adds): what each torrent was, where it came from, which rule placed it where. */
import type { AddedLink } from '../protocol/index.js';
import type { ClipboardAddStore } from './clipboard-add-store.js';
import type { Db } from './database.js';

interface Row {
  kind: AddedLink['kind'];
  info_hash: string | null;
  name: string | null;
  source: AddedLink['source'];
  at: string;
  rule: string | null;
  category: string | null;
  tags: string;
  save_path: string | null;
  paused: number;
}

export function createSqliteClipboardAddStore(db: Db): ClipboardAddStore {
  const insert = db.prepare(
    `INSERT OR REPLACE INTO clipboard_adds (key, kind, info_hash, name, source, at, rule, category, tags, save_path, paused)
     VALUES (@key, @kind, @info_hash, @name, @source, @at, @rule, @category, @tags, @save_path, @paused)`,
  );
  const recent = db.prepare<[number], Row>(
    'SELECT kind, info_hash, name, source, at, rule, category, tags, save_path, paused FROM clipboard_adds ORDER BY id DESC LIMIT ?',
  );
  return {
    record(key, add) {
      insert.run({ ...add, key, tags: JSON.stringify(add.tags), paused: add.paused ? 1 : 0 });
    },
    recent: (limit) =>
      recent.all(limit).map((row) => ({
        kind: row.kind,
        info_hash: row.info_hash,
        name: row.name,
        rule: row.rule,
        category: row.category,
        tags: JSON.parse(row.tags) as string[],
        save_path: row.save_path,
        paused: row.paused === 1,
        source: row.source,
        at: row.at,
      })),
  };
}
