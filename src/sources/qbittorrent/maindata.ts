/**
 * qBittorrent's `/api/v2/sync/maindata` answers and how their torrent fields become the service's row
 * fields. An answer is either full (`full_update: true`: every torrent with every field) or partial
 * (only the torrents that changed, each with only its changed fields; `torrents_removed`; only the
 * changed `server_state` keys), relative to the `rid` the request acknowledged.
 */
import type { TorrentField } from '../../protocol/index.js';
import { QbittorrentError } from './errors.js';

/** One torrent's entry as qBittorrent sends it (all fields when new or in a full update, else the changed ones). */
export type RawTorrent = Readonly<Record<string, unknown>>;

export interface Maindata {
  rid: number;
  fullUpdate: boolean;
  torrents: Readonly<Record<string, RawTorrent>>;
  removed: readonly string[];
  /** The keys of `server_state` in this answer: all of them in a full update, the changed ones otherwise. */
  serverState: Readonly<Record<string, unknown>>;
}

const ENDPOINT = '/api/v2/sync/maindata';

/** Checks the shape of a maindata answer; rejects with `BAD_RESPONSE` what is not one. */
export function parseMaindata(body: string): Maindata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new QbittorrentError('BAD_RESPONSE', `${ENDPOINT} did not answer JSON: ${body.slice(0, 200)}`, {
      endpoint: ENDPOINT,
      cause: error,
    });
  }
  const answer = parsed as Record<string, unknown> | null;
  const isRecord = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
  const torrents = answer?.torrents ?? {};
  const removed = answer?.torrents_removed ?? [];
  const serverState = answer?.server_state ?? {};
  if (
    !isRecord(answer) ||
    !Number.isSafeInteger(answer?.rid) ||
    !isRecord(torrents) ||
    !Object.values(torrents as object).every(isRecord) ||
    !Array.isArray(removed) ||
    !removed.every((hash) => typeof hash === 'string') ||
    !isRecord(serverState)
  ) {
    throw new QbittorrentError('BAD_RESPONSE', `${ENDPOINT} answered something that is not maindata`, { endpoint: ENDPOINT });
  }
  return {
    rid: answer!.rid as number,
    fullUpdate: answer!.full_update === true,
    torrents: torrents as Record<string, RawTorrent>,
    removed: removed as string[],
    serverState: serverState as Record<string, unknown>,
  };
}

/** qBittorrent's ETA when it has none (100 days). */
const NO_ETA = 8_640_000;

const number = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const isoOfSeconds = (value: unknown): string | null => {
  const seconds = number(value);
  return seconds > 0 ? new Date(seconds * 1000).toISOString() : null;
};

/**
 * Each qBittorrent field the service reads, the row field it sets and how. Fields qBittorrent sends
 * that are not here (and there are dozens) are never looked at, so a change of only those is no change.
 */
export const ROW_FIELD_OF: Readonly<Record<string, { field: TorrentField; convert: (value: unknown) => unknown }>> = {
  name: { field: 'name', convert: text },
  state: { field: 'state', convert: text },
  progress: { field: 'progress', convert: (value) => Math.min(1, Math.max(0, number(value))) },
  size: { field: 'size', convert: number },
  category: { field: 'category', convert: text },
  // "a, b" up to 5.x: the tags joined with a comma and a space.
  tags: {
    field: 'tags',
    convert: (value) =>
      text(value)
        .split(',')
        .map((tag) => tag.trim())
        .filter((tag) => tag !== ''),
  },
  save_path: { field: 'save_path', convert: text },
  added_on: { field: 'added_on', convert: (value) => isoOfSeconds(value) ?? new Date(0).toISOString() },
  // 0 (4.x) or -1 while incomplete.
  completion_on: { field: 'completion_on', convert: isoOfSeconds },
  dlspeed: { field: 'dl_speed', convert: number },
  upspeed: { field: 'up_speed', convert: number },
  eta: { field: 'eta', convert: (value) => (typeof value === 'number' && value >= 0 && value < NO_ETA ? value : null) },
  ratio: { field: 'ratio', convert: (value) => Math.round(number(value) * 1000) / 1000 },
  num_seeds: { field: 'num_seeds', convert: number },
  num_leechs: { field: 'num_leechs', convert: number },
};

/** The v2 info-hash key under which the clipboard monitor remembers a v2 magnet (`1220` + 64 hex), if the torrent has one. */
export function v2Key(raw: RawTorrent): string | undefined {
  const v2 = raw.infohash_v2;
  return typeof v2 === 'string' && /^[0-9a-f]{64}$/.test(v2) ? `1220${v2}` : undefined;
}
