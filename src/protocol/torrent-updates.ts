/** How a client applies `torrent.updated` to its table, and how a slow reader's pending deltas merge into one; free of schemas, for the SDK too. */
import type { TorrentRow, TorrentUpdated } from './torrents.js';

/** Applies one `torrent.updated` to a table of rows by hash, as a client must: `removed` first, then `changed`. */
export function applyTorrentUpdate(rows: Map<string, TorrentRow>, update: TorrentUpdated): void {
  for (const hash of update.removed) rows.delete(hash);
  for (const [hash, fields] of Object.entries(update.changed)) {
    const row = rows.get(hash);
    if (row) Object.assign(row, fields);
    else rows.set(hash, { ...fields } as TorrentRow);
  }
}

/**
 * Folds `next` into `pending` (a delta of one's own, never an event's data) so that applying the result
 * once equals applying both in order: fields merge (latest wins); a removal drops the pending changes of
 * that hash; a torrent removed and added again stays in `removed` and comes back whole in `changed`.
 */
export function mergeTorrentUpdate(pending: TorrentUpdated, next: TorrentUpdated): void {
  const removed = new Set(pending.removed);
  for (const hash of next.removed) {
    delete pending.changed[hash];
    if (!removed.has(hash)) pending.removed.push(hash);
    removed.add(hash);
  }
  for (const [hash, fields] of Object.entries(next.changed)) pending.changed[hash] = { ...pending.changed[hash], ...fields };
}
