/** How qBittorrent's torrent state names (4.x and 5.x) fall into the groups the service counts; free of schemas, for the SDK too. */

/** The groups torrents are counted in: each torrent in exactly one (`other` for the rare states outside them). */
export const TORRENT_STATE_GROUPS = ['downloading', 'seeding', 'stopped', 'stalled', 'errored', 'checking', 'queued', 'other'] as const;
export type TorrentStateGroup = (typeof TORRENT_STATE_GROUPS)[number];

/** qBittorrent's state names, 4.x and 5.x (Web API 2.11 renamed `pausedDL`/`pausedUP` to `stoppedDL`/`stoppedUP`), by group. */
export const GROUP_OF_STATE: Readonly<Record<string, TorrentStateGroup>> = {
  downloading: 'downloading',
  forcedDL: 'downloading',
  metaDL: 'downloading',
  forcedMetaDL: 'downloading',
  allocating: 'downloading',
  uploading: 'seeding',
  forcedUP: 'seeding',
  // Complete and idle for want of leechers: still a seed.
  stalledUP: 'seeding',
  pausedDL: 'stopped',
  pausedUP: 'stopped',
  stoppedDL: 'stopped',
  stoppedUP: 'stopped',
  stalledDL: 'stalled',
  error: 'errored',
  missingFiles: 'errored',
  checkingDL: 'checking',
  checkingUP: 'checking',
  checkingResumeData: 'checking',
  queuedDL: 'queued',
  queuedUP: 'queued',
};

export function torrentStateGroup(state: string): TorrentStateGroup {
  return GROUP_OF_STATE[state] ?? 'other';
}
