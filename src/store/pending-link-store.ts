/** Links detected but not yet taken by qBittorrent, kept until it takes them (the service backs it with SQLite: nothing lost across a restart or kill -9). */
import type { PendingLink } from '../protocol/index.js';

/** A pending link as kept: what is published, plus what qBittorrent is sent (never published). */
export interface StoredPendingLink {
  /** The torrent's key; `aliases` its other keys (a hybrid magnet's second hash). */
  key: string;
  aliases: string[];
  /** The magnet link or .torrent URL; for a .torrent file its file:// URI, the file itself in `file`. */
  url: string;
  file: { fileName: string; bytes: Uint8Array<ArrayBuffer> } | null;
  link: PendingLink;
}

export interface PendingLinkStore {
  /** Keeps `pending` under its key, replacing what was kept there (its place in the order stays). */
  put(pending: StoredPendingLink): void;
  remove(key: string): void;
  /** Every pending link, first kept first. */
  all(): StoredPendingLink[];
}

/** A store that lives as long as the process: the default, and enough for tests. */
export function createInMemoryPendingLinkStore(): PendingLinkStore {
  const links = new Map<string, StoredPendingLink>();
  return {
    put: (pending) => void links.set(pending.key, pending),
    remove: (key) => void links.delete(key),
    all: () => [...links.values()],
  };
}
