/** qBittorrent's download and upload speed over the last minutes, from its history (request_data) and each `performance.qbittorrent`. */
import type { DataReply, QbittorrentTransfer } from '../client/index.js';

export const TRANSFER_MINUTES = 10;
/** The request_data names of the figures drawn. */
export const TRANSFER_METRICS = ['qbittorrent.dl_speed', 'qbittorrent.up_speed'] as const;
const WINDOW_SECONDS = TRANSFER_MINUTES * 60;

export class TransferHistory {
  /** Unix seconds, increasing. */
  readonly times: number[] = [];
  readonly down: Array<number | null> = [];
  readonly up: Array<number | null> = [];

  /** Adds the figures of one sync (`timeMs` from its envelope); one no newer than the last is dropped. */
  add(timeMs: number, transfer: Pick<QbittorrentTransfer, 'dl_speed' | 'up_speed'>): void {
    const time = timeMs / 1000;
    const last = this.times.at(-1);
    if (last !== undefined && time <= last) return;
    this.#push(time, transfer.dl_speed, transfer.up_speed);
    this.#trim();
  }

  /** Replaces what the history covers with it, keeping live points newer than its last sample. */
  applyHistory(reply: DataReply): void {
    const points = new Map<number, [number | null, number | null]>();
    TRANSFER_METRICS.forEach((metric, column) => {
      for (const { timestamp, value } of reply.metrics[metric]?.samples ?? []) {
        const time = Date.parse(timestamp) / 1000;
        const point = points.get(time) ?? [null, null];
        point[column] = value;
        points.set(time, point);
      }
    });
    const historyEnd = Math.max(Number.NEGATIVE_INFINITY, ...points.keys());
    const newer = this.times.flatMap((time, index) => (time > historyEnd ? [[time, this.down[index]!, this.up[index]!] as const] : []));
    this.clear();
    for (const [time, [down, up]] of [...points].sort(([a], [b]) => a - b)) this.#push(time, down, up);
    for (const [time, down, up] of newer) this.#push(time, down, up);
    this.#trim();
  }

  clear(): void {
    this.times.length = 0;
    this.down.length = 0;
    this.up.length = 0;
  }

  #push(time: number, down: number | null, up: number | null): void {
    this.times.push(time);
    this.down.push(down);
    this.up.push(up);
  }

  /** Drops points older than the window before the newest one. */
  #trim(): void {
    const newest = this.times.at(-1);
    if (newest === undefined) return;
    const keepFrom = this.times.findIndex((time) => time >= newest - WINDOW_SECONDS);
    if (keepFrom <= 0) return;
    for (const column of [this.times, this.down, this.up]) column.splice(0, keepFrom);
  }
}
