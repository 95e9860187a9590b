/** How the Torrents panel writes a row's figures: progress, ETA, ratio, state. */
import { duration } from './format.js';
import type { TorrentTexts } from './torrent-texts.js';

/** 0.4567 → "45.7%"; only a finished torrent reads 100%. */
export function progressText(progress: number): string {
  const percent = Math.floor(progress * 1000) / 10;
  return `${percent.toFixed(1)}%`;
}

/** Seconds left as the two largest units; ∞ when qBittorrent cannot tell, a dash once nothing is left to download. */
export function etaText(eta: number | null, progress: number, texts: TorrentTexts): string {
  if (progress >= 1) return texts.eta.done;
  return eta === null ? texts.eta.unknown : duration(eta);
}

/** Two decimals, as qBittorrent writes it; qBittorrent's "infinite" ratio (-1 or huge) as ∞. */
export function ratioText(ratio: number): string {
  return ratio < 0 || ratio >= 9999 ? '∞' : ratio.toFixed(2);
}

export function stateText(state: string, texts: TorrentTexts): string {
  return texts.states[state] ?? state;
}
