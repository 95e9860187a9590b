/** Every torrent the clipboard monitor added, with the rule that chose where it went; the service backs it with SQLite. */
import type { AddedLink } from '../protocol/index.js';

export interface ClipboardAddStore {
  /** Records an add under its torrent's key (a later add of the same key replaces it). */
  record(key: string, add: AddedLink): void;
  /** The last `limit` adds, newest first. */
  recent(limit: number): AddedLink[];
}

/** A store that lives as long as the process: the default, and enough for tests. */
export function createInMemoryClipboardAddStore(): ClipboardAddStore {
  const adds = new Map<string, AddedLink>();
  return {
    record(key, add) {
      adds.delete(key);
      adds.set(key, add);
    },
    recent: (limit) => [...adds.values()].reverse().slice(0, limit),
  };
}
