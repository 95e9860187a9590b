/** How the dashboard writes numbers, sizes, rates, times and config values (durations and ages in the page's language). */
import { t } from './i18n.js';

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : `${value.toFixed(1)}%`;
}

/** 1536 → "1.5 KB" (powers of 1024, written as most tools write them). */
export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  let scaled = Math.max(0, value);
  let unit = 0;
  while (scaled >= 1024 && unit < BYTE_UNITS.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  return `${scaled >= 100 || unit === 0 ? Math.round(scaled) : scaled.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

export function bytesPerSecond(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : `${bytes(value)}/s`;
}

export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : value.toLocaleString('en');
}

/** A measured value with the unit the alert's type implies (the standard cpu, memory and disk alerts are percentages). */
export function alertValue(value: number, alertType: string): string {
  const rounded = Math.round(value * 100) / 100;
  return ['cpu', 'memory', 'disk'].includes(alertType) ? `${rounded}%` : `${rounded}`;
}

/** 3725 → "1 h 2 min" ("1 小时 2 分钟"); the two largest units. */
export function duration(seconds: number): string {
  const { units } = t();
  const parts: Array<[number, string]> = [
    [Math.floor(seconds / 86_400), units.d],
    [Math.floor((seconds % 86_400) / 3600), units.h],
    [Math.floor((seconds % 3600) / 60), units.min],
    [Math.floor(seconds % 60), units.s],
  ];
  const first = parts.findIndex(([amount]) => amount > 0);
  if (first === -1) return `0 ${units.s}`;
  return parts
    .slice(first, first + 2)
    .filter(([amount]) => amount > 0)
    .map(([amount, unit]) => `${amount} ${unit}`)
    .join(' ');
}

/** How long ago `timeMs` was, from `nowMs`: "just now", "12 s ago", "3 min ago" ("刚刚", "12 秒前"). */
export function ago(timeMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.round((nowMs - timeMs) / 1000));
  return seconds < 2 ? t().justNow : t().ago(duration(seconds));
}

/** Local wall-clock time, "14:02:11". */
export function clockTime(timeMs: number): string {
  return new Date(timeMs).toLocaleTimeString('en-GB', { hour12: false });
}

/** Local date and time, for tooltips: "2024-01-01 14:02:11". */
export function dateTime(timeMs: number): string {
  const date = new Date(timeMs);
  const day = [date.getFullYear(), date.getMonth() + 1, date.getDate()].map((n) => String(n).padStart(2, '0')).join('-');
  return `${day} ${clockTime(timeMs)}`;
}

const MAX_VALUE_LENGTH = 120;

/** A config value as JSON, shortened: `"INFO"`, `5`, `[{"metric":"cpu_percent",…}]`; absent is "(unset)". */
export function configValue(value: unknown): string {
  if (value === undefined) return t().unset;
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}

/** "qbittorrent_client" → "Qbittorrent client"; for names the dashboard has no label of its own for. */
export function humanize(name: string): string {
  const words = name.replace(/[_.-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
