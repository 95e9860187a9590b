/** Pending links in SQLite (table clipboard_pending): each with its rule's placement, its URL and a .torrent file's bytes, until qBittorrent takes it. */
import type { PendingLink } from '../protocol/index.js';
import type { Db } from './database.js';
import type { PendingLinkStore } from './pending-link-store.js';

interface Row {
  key: string;
  aliases: string;
  url: string;
  file_name: string | null;
  file: Buffer | null;
  kind: PendingLink['kind'];
  info_hash: string | null;
  name: string | null;
  source: PendingLink['source'];
  at: string;
  rule: string | null;
  category: string | null;
  tags: string;
  save_path: string | null;
  paused: number;
  attempts: number;
  next_retry_at: string | null;
  reason: string | null;
}

export function createSqlitePendingLinkStore(db: Db): PendingLinkStore {
  const put = db.prepare(
    `INSERT INTO clipboard_pending (key, aliases, url, file_name, file, kind, info_hash, name, source, at, rule, category, tags, save_path,
       paused, attempts, next_retry_at, reason)
     VALUES (@key, @aliases, @url, @file_name, @file, @kind, @info_hash, @name, @source, @at, @rule, @category, @tags, @save_path,
       @paused, @attempts, @next_retry_at, @reason)
     ON CONFLICT (key) DO UPDATE SET attempts = excluded.attempts, next_retry_at = excluded.next_retry_at, reason = excluded.reason`,
  );
  const remove = db.prepare('DELETE FROM clipboard_pending WHERE key = ?');
  const all = db.prepare<[], Row>('SELECT * FROM clipboard_pending ORDER BY id');
  return {
    put({ key, aliases, url, file, link }) {
      put.run({
        ...link,
        key,
        aliases: JSON.stringify(aliases),
        url,
        file_name: file?.fileName ?? null,
        file: file ? Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength) : null,
        tags: JSON.stringify(link.tags),
        paused: link.paused ? 1 : 0,
      });
    },
    remove(key) {
      remove.run(key);
    },
    all: () =>
      all.all().map((row) => ({
        key: row.key,
        aliases: JSON.parse(row.aliases) as string[],
        url: row.url,
        file: row.file_name !== null && row.file !== null ? { fileName: row.file_name, bytes: Uint8Array.from(row.file) } : null,
        link: {
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
          attempts: row.attempts,
          next_retry_at: row.next_retry_at,
          reason: row.reason,
        },
      })),
  };
}
