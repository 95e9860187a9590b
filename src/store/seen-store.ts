/** The keys of torrents already added (and by whom), so that none is added twice; the service backs it with SQLite to span restarts. */
import type { LinkSource } from '../protocol/index.js';

export interface SeenStore {
  has(key: string): boolean;
  add(key: string, source: LinkSource): void;
  /** Who added the torrent with this key; undefined when the service did not (or before sources were kept). */
  sourceOf(key: string): LinkSource | undefined;
}

/** A store that lives as long as the process: the default, and enough for tests. */
export function createInMemorySeenStore(): SeenStore {
  const keys = new Map<string, LinkSource>();
  return {
    has: (key) => keys.has(key),
    add: (key, source) => {
      if (!keys.has(key)) keys.set(key, source);
    },
    sourceOf: (key) => keys.get(key),
  };
}
