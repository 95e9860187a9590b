/**
 * Alerts about qBittorrent's torrents and disk: `alert.torrent`, one per torrent, raised by its
 * `torrent.errored` (critical) or `torrent.stalled` (warning) and resolved when the table shows it
 * recovered (out of error; progressing again, or no longer downloading) or it is removed; and
 * `alert.disk` (subject `qbittorrent_free_space`) while `performance.qbittorrent` reports
 * `free_space_on_disk` below `alerts.qbittorrent_free_space_below`.
 */
import type { HubEvent } from '../../hub/event.js';
import {
  AlertType,
  EventName,
  type QbittorrentTransfer,
  type TorrentLifecycle,
  type TorrentUpdated,
  torrentStateGroup,
} from '../../protocol/index.js';
import type { AlertLedger } from './alert-ledger.js';
import type { Phrasebook } from './texts.js';

export const FREE_SPACE_SUBJECT = 'qbittorrent_free_space';
/** The free-space alert clears once the space is this much above the threshold, so that it does not flap. */
const FREE_SPACE_HYSTERESIS = 0.05;

type Reason = 'errored' | 'stalled';

export class TorrentAlerts {
  readonly #ledger: AlertLedger;
  #phrases: Phrasebook;
  #freeSpaceBelow: number;
  #stalledAfterSeconds: number;
  /** The last state and progress seen of each torrent with an active alert: what its recovery is judged against. */
  readonly #seen = new Map<string, { name: string; state?: string; progress?: number }>();

  constructor(ledger: AlertLedger, settings: { freeSpaceBelow: number; stalledAfterSeconds: number }, phrases: Phrasebook) {
    this.#ledger = ledger;
    this.#phrases = phrases;
    this.#freeSpaceBelow = settings.freeSpaceBelow;
    this.#stalledAfterSeconds = settings.stalledAfterSeconds;
    // Alerts active before a restart: judged from the first rows seen.
    for (const alert of ledger.activeAlerts()) {
      if (alert.type === AlertType.torrent) this.#seen.set(alert.subject, { name: String(alert.metadata.name ?? alert.subject) });
    }
  }

  observe(event: HubEvent): void {
    switch (event.name) {
      case EventName.torrentErrored:
      case EventName.torrentStalled:
        this.#raise(event.data as TorrentLifecycle, event.name === EventName.torrentErrored ? 'errored' : 'stalled');
        return;
      case EventName.torrentRemoved:
        this.#removed((event.data as TorrentLifecycle).hash);
        return;
      case EventName.torrentUpdated:
        this.#updated(event.data as TorrentUpdated);
        return;
      default:
    }
  }

  observeTransfer({ free_space_on_disk: free }: QbittorrentTransfer): void {
    if (free === null) return;
    const active = this.#ledger.active(AlertType.disk, FREE_SPACE_SUBJECT);
    if (this.#freeSpaceBelow > 0 && free < this.#freeSpaceBelow) {
      if (active) return;
      this.#ledger.raise({
        type: AlertType.disk,
        subject: FREE_SPACE_SUBJECT,
        level: 'warning',
        value: free,
        threshold: this.#freeSpaceBelow,
        texts: this.#phrases.freeSpaceLow({ free, threshold: this.#freeSpaceBelow }),
      });
    } else if (active && (this.#freeSpaceBelow === 0 || free >= this.#freeSpaceBelow * (1 + FREE_SPACE_HYSTERESIS))) {
      const resolution = this.#freeSpaceBelow === 0 ? this.#phrases.ruleRemoved : this.#phrases.freeSpaceRecovered({ free });
      this.#ledger.resolve(AlertType.disk, resolution, 'system', FREE_SPACE_SUBJECT);
    }
  }

  reconfigure(settings: { freeSpaceBelow: number; stalledAfterSeconds: number }, phrases: Phrasebook): void {
    this.#freeSpaceBelow = settings.freeSpaceBelow;
    this.#stalledAfterSeconds = settings.stalledAfterSeconds;
    this.#phrases = phrases;
  }

  #raise(torrent: TorrentLifecycle, reason: Reason): void {
    const facts = { name: torrent.name, state: torrent.state };
    this.#seen.set(torrent.hash, { ...facts, progress: torrent.progress });
    this.#ledger.raise({
      type: AlertType.torrent,
      subject: torrent.hash,
      level: reason === 'errored' ? 'critical' : 'warning',
      value: reason === 'errored' ? Math.round(torrent.progress * 1000) / 10 : this.#stalledAfterSeconds,
      threshold: reason === 'errored' ? 0 : this.#stalledAfterSeconds,
      texts:
        reason === 'errored'
          ? this.#phrases.torrentErrored(facts)
          : this.#phrases.torrentStalled({ ...facts, seconds: this.#stalledAfterSeconds }),
      details: { hash: torrent.hash, name: torrent.name, reason },
    });
  }

  #removed(hash: string): void {
    const seen = this.#seen.get(hash);
    this.#seen.delete(hash);
    if (seen) this.#ledger.resolve(AlertType.torrent, this.#phrases.torrentRemoved(seen), 'system', hash);
  }

  #updated({ changed, removed }: TorrentUpdated): void {
    for (const hash of removed) this.#removed(hash);
    for (const [hash, fields] of Object.entries(changed)) {
      const seen = this.#seen.get(hash);
      if (!seen) continue;
      const alert = this.#ledger.active(AlertType.torrent, hash);
      if (!alert) {
        // Resolved by an admin meanwhile.
        this.#seen.delete(hash);
        continue;
      }
      const progressed = fields.progress !== undefined && seen.progress !== undefined && fields.progress !== seen.progress;
      if (fields.name !== undefined) seen.name = fields.name;
      if (fields.state !== undefined) seen.state = fields.state;
      if (fields.progress !== undefined) seen.progress = fields.progress;
      if (seen.state !== undefined && this.#recovered(alert.metadata.reason as Reason, torrentStateGroup(seen.state), progressed)) {
        this.#seen.delete(hash);
        this.#ledger.resolve(AlertType.torrent, this.#phrases.torrentRecovered({ name: seen.name, state: seen.state }), 'system', hash);
      }
    }
  }

  /** Errored: out of error. Stalled: progressing again, or no longer a download (stopped, complete, queued...). */
  #recovered(reason: Reason, group: ReturnType<typeof torrentStateGroup>, progressed: boolean): boolean {
    if (group === 'errored') return false;
    if (reason === 'errored') return true;
    return progressed || (group !== 'downloading' && group !== 'stalled');
  }
}
