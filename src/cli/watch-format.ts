/** How `qbt-monitor watch` prints an event: one line, coloured by severity when the terminal allows it. */
import {
  type AlertActive,
  type AlertResolved,
  type EventType,
  eventNameOf,
  type QbittorrentTransfer,
  type ServerMessage,
  type TorrentLifecycle,
} from '../client/index.js';

const ANSI = { red: 31, green: 32, yellow: 33, cyan: 36, bold: 1, dim: 2 } as const;
export type Colour = keyof typeof ANSI;
export type Paint = (colour: Colour, text: string) => string;

const LEVEL_COLOUR: Readonly<Record<string, Colour>> = { critical: 'red', warning: 'yellow', info: 'cyan' };
const GOOD_STATUS = new Set(['running', 'connected', 'ok', 'healthy']);
/** The torrent lifecycle, as a user would say it. */
const LIFECYCLE: Readonly<Record<string, { word: string; colour: Colour }>> = {
  'torrent.added': { word: 'ADDED', colour: 'cyan' },
  'torrent.completed': { word: 'COMPLETED', colour: 'green' },
  'torrent.errored': { word: 'ERRORED', colour: 'red' },
  'torrent.stalled': { word: 'STALLED', colour: 'yellow' },
  'torrent.removed': { word: 'REMOVED', colour: 'dim' },
};
const BAD_STATUS = new Set(['error', 'failed', 'disconnected', 'stopped', 'unreachable']);

/** Colours when `enabled`, plain text otherwise. */
export function painter(enabled: boolean): Paint {
  return enabled ? (colour, text) => `\x1b[${ANSI[colour]}m${text}\x1b[0m` : (_colour, text) => text;
}

/**
 * `14:02:11  alert.cpu  [WARNING] CPU使用率过高 — CPU使用率达到 85% (alert_12345)`, marked when sent as state or as a
 * missed event; an alert also says when it is silenced, acknowledged (by whom, with the comment) or a reminder.
 */
export function formatEvent(message: ServerMessage<EventType>, paint: Paint): string {
  const time = paint('dim', new Date(message.timestamp).toTimeString().slice(0, 8));
  const name = paint('bold', eventNameOf(message) ?? message.type);
  const origin = message.meta?.snapshot ? ' (current state)' : message.meta?.replay ? ' (missed)' : '';
  return `${time}  ${name}  ${summary(message, paint)}${paint('dim', origin)}`;
}

/** One line per event type; a type without its case here does not compile. */
function summary(message: ServerMessage<EventType>, paint: Paint): string {
  switch (message.type) {
    case 'performance': {
      const { data } = message;
      if ('metric_name' in data) return `${text(data.value)}${data.unit ? ` ${text(data.unit)}` : ''}  ${fields(data.tags)}`.trimEnd();
      if ('dl_speed' in data) return transfer(data);
      return `cpu ${percent(data.cpu_percent)}  mem ${percent(data.memory_percent)}  disk ${percent(data.disk_usage_percent)}  procs ${text(data.process_count)}`;
    }
    case 'alert': {
      const { data } = message;
      if (data.status === 'resolved') {
        const resolved = `${paint('green', '[RESOLVED]')} ${text(data.alert_id)} by ${text(data.resolved_by)}${data.resolution ? ` — ${text(data.resolution)}` : ''}`;
        return `${resolved}${management(data, paint)}`;
      }
      const level = text(data.level);
      const headline = [data.title, data.message].filter(Boolean).map(text).join(' — ');
      const reminder = data.repeat === undefined ? '' : ` ${paint('yellow', `(reminder ${data.repeat})`)}`;
      return `${paint(LEVEL_COLOUR[level] ?? 'bold', `[${level.toUpperCase()}]`)} ${headline} (${text(data.alert_id)})${reminder}${management(data, paint)}`;
    }
    case 'status': {
      const status = text(message.data.status);
      const colour: Colour = GOOD_STATUS.has(status) ? 'green' : BAD_STATUS.has(status) ? 'red' : 'yellow';
      return `${paint(colour, status)}  ${fields(message.data, ['component', 'status'])}`.trimEnd();
    }
    case 'config': {
      const { data } = message;
      if (data.action === 'rejected') return `${paint('red', 'rejected')}: ${text(data.reason)} (by ${text(data.updated_by)})`;
      const changes = (data.fields ?? [])
        .map(text)
        .map((f: string) => `${f} ${text(data.old_values?.[f])} → ${text(data.new_values?.[f])}`);
      return `${changes.join(', ')} (by ${text(data.updated_by)})`;
    }
    case 'system':
      return fields(message.data, ['event']);
    case 'torrent': {
      const { data } = message;
      if ('torrents' in data) return `${data.torrents.length} torrents`;
      if ('changed' in data) return `${Object.keys(data.changed).length} changed, ${data.removed.length} removed`;
      return torrent(eventNameOf(message) ?? '', data, paint);
    }
    default: {
      const unhandled: never = message;
      return fields((unhandled as { data?: unknown }).data);
    }
  }
}

/** `  [SILENCED]  [ACK by ops: on it]`: what was done about an alert. */
function management(data: AlertActive | AlertResolved, paint: Paint): string {
  const silenced = data.silenced === true ? `  ${paint('dim', '[SILENCED]')}` : '';
  const comment = data.acknowledgement ? `: ${text(data.acknowledgement)}` : '';
  const acknowledged = data.acknowledged_by === undefined ? '' : `  ${paint('cyan', `[ACK by ${text(data.acknowledged_by)}${comment}]`)}`;
  return `${silenced}${acknowledged}`;
}

/** `[COMPLETED] "ubuntu.iso"  100.0% of 5.7 GiB  stalledUP  category=iso tags=linux  from the clipboard`. */
function torrent(name: string, data: TorrentLifecycle, paint: Paint): string {
  const { word, colour } = LIFECYCLE[name] ?? { word: name, colour: 'bold' };
  const labels = [data.category && `category=${text(data.category)}`, data.tags.length > 0 && `tags=${text(data.tags)}`].filter(Boolean);
  const source = data.source === 'qbittorrent' ? '' : `  from ${data.source === 'clipboard' ? 'the clipboard' : 'the REST API'}`;
  return `${paint(colour, `[${word}]`)} "${text(data.name)}"  ${percent(data.progress * 100)} of ${bytes(data.size)}  ${text(data.state)}${labels.length > 0 ? `  ${labels.join(' ')}` : ''}${source}`;
}

/** `down 1.2 MiB/s  up 20.0 KiB/s  4 torrents (1 downloading, 2 seeding, 1 stopped)  free 120.0 GiB  firewalled`. */
function transfer(data: QbittorrentTransfer): string {
  const { total, ...groups } = data.torrents;
  const counted = Object.entries(groups as Record<string, number>)
    .filter(([, count]) => count > 0)
    .map(([group, count]) => `${count} ${group}`);
  const free = data.free_space_on_disk === null ? '' : `  free ${bytes(data.free_space_on_disk)}`;
  return `down ${bytes(data.dl_speed)}/s  up ${bytes(data.up_speed)}/s  ${total} torrents${counted.length > 0 ? ` (${counted.join(', ')})` : ''}${free}  ${data.connection_status}`;
}

/** Bytes in binary units, as qBittorrent shows them. */
function bytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  for (let n = value; n >= 1024 && unit < units.length - 1; n /= 1024) unit += 1;
  return unit === 0 ? `${value} B` : `${(value / 1024 ** unit).toFixed(1)} ${units[unit]}`;
}

function percent(value: unknown): string {
  return typeof value === 'number' ? `${value.toFixed(1)}%` : '-';
}

/** `key=value` pairs, nested objects flattened to the dotted paths `--filter` takes. */
function fields(value: unknown, omit: readonly string[] = [], prefix = ''): string {
  if (typeof value !== 'object' || value === null) return '';
  return Object.entries(value)
    .filter(([key]) => !omit.includes(key))
    .map(([key, item]) =>
      typeof item === 'object' && item !== null && !Array.isArray(item)
        ? fields(item, [], `${prefix}${key}.`)
        : `${prefix}${key}=${text(item)}`,
    )
    .filter(Boolean)
    .join(' ');
}

/** A value as text, with control characters replaced: event data (clipboard text, torrent names) must not drive the terminal. */
function text(value: unknown): string {
  const raw = Array.isArray(value)
    ? value.map(text).join(',')
    : typeof value === 'string'
      ? value
      : value === undefined
        ? '-'
        : JSON.stringify(value);
  return raw.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
}
