/**
 * The torrents over REST: POST /api/v1/torrents (admin: add magnet links or .torrent URLs by hand,
 * counted like copied ones), GET /api/v1/torrents (the live table, filtered, sorted and paged), and the
 * row actions for admin keys: stop/start (pause/resume before qBittorrent 5), recheck, delete.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCode, TORRENT_FIELDS, TORRENT_STATE_GROUPS, type TorrentRow, torrentStateGroup } from '../../protocol/index.js';
import type { ClipboardMonitor } from '../../sources/clipboard/monitor.js';
import { isQbittorrentError } from '../../sources/qbittorrent/errors.js';
import type { QbittorrentMonitor, TorrentAction } from '../../sources/qbittorrent/monitor.js';
import type { KeyRing } from '../api-keys.js';
import { KeyInQuery, requireRole } from './auth.js';
import { sendError } from './errors.js';

const Body = Type.Union([
  Type.Object(
    { urls: Type.Array(Type.String({ minLength: 1, maxLength: 65536 }), { minItems: 1, maxItems: 100 }) },
    { additionalProperties: false },
  ),
  Type.Object({ text: Type.String({ minLength: 1, maxLength: 1_048_576 }) }, { additionalProperties: false }),
]);

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

const ListQuery = Type.Object({
  state: Type.Optional(
    Type.String({
      maxLength: 1000,
      description: `Comma-separated qBittorrent state names or groups (${TORRENT_STATE_GROUPS.join(', ')}).`,
    }),
  ),
  category: Type.Optional(Type.String({ maxLength: 1000, description: 'Exact category; empty for none.' })),
  tag: Type.Optional(Type.String({ maxLength: 1000, description: 'Torrents carrying this tag.' })),
  search: Type.Optional(Type.String({ maxLength: 1000, description: 'Case-insensitive part of the name.' })),
  sort: Type.Optional(Type.Union(TORRENT_FIELDS.map((field) => Type.Literal(field)))),
  reverse: Type.Optional(Type.Boolean()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
  ...KeyInQuery,
});
type ListQuery = {
  state?: string;
  category?: string;
  tag?: string;
  search?: string;
  sort?: keyof TorrentRow;
  reverse?: boolean;
  limit?: number;
  offset?: number;
};

const Hash = Type.Object({ hash: Type.String({ pattern: '^[0-9a-fA-F]{40}$', description: "The torrent's hash (40 hex digits)." }) });
/** The row actions and what each asks of qBittorrent; pause/resume are the pre-5 names of stop/start. */
const ACTIONS: Readonly<Record<string, TorrentAction>> = {
  stop: 'stop',
  pause: 'stop',
  start: 'start',
  resume: 'start',
  recheck: 'recheck',
};
const ActionParams = Type.Object({ ...Hash.properties, action: Type.Union(Object.keys(ACTIONS).map((action) => Type.Literal(action))) });

export function registerTorrentRoutes(
  app: FastifyInstance,
  deps: {
    keys: () => KeyRing;
    clipboard: ClipboardMonitor;
    qbittorrent: Pick<QbittorrentMonitor, 'torrentsAction'>;
    /** The live table, as clients have it. */
    torrents: () => ReadonlyMap<string, Readonly<TorrentRow>>;
  },
): void {
  const admin = { onRequest: requireRole(deps.keys, 'admin') };

  app.post<{ Body: { urls: string[] } | { text: string } }>(
    '/api/v1/torrents',
    { ...admin, schema: { querystring: Type.Object(KeyInQuery), body: Body } },
    async (request, reply) => {
      const text = 'urls' in request.body ? request.body.urls.join('\n') : request.body.text;
      const result = await deps.clipboard.submit(text, 'api');
      if (Object.values(result).every((links) => links.length === 0)) {
        return sendError(reply, 400, ErrorCode.INVALID_MESSAGE, 'no magnet link or .torrent URL found');
      }
      return result;
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/api/v1/torrents',
    { onRequest: requireRole(deps.keys, 'read'), schema: { querystring: ListQuery } },
    async (request) => {
      const { limit = DEFAULT_LIMIT, offset = 0 } = request.query;
      const rows = filterRows([...deps.torrents().values()], request.query);
      return { total: rows.length, offset, torrents: rows.slice(offset, offset + limit) };
    },
  );

  /** Runs an action on a torrent of the table, answering 404 for an unknown hash and 503 when qBittorrent cannot do it now. */
  const act = async (hash: string, action: TorrentAction, reply: FastifyReply, options?: { deleteFiles?: boolean }) => {
    const id = hash.toLowerCase();
    if (!deps.torrents().has(id)) return sendError(reply, 404, ErrorCode.NOT_FOUND, `no torrent ${id} in qBittorrent`);
    try {
      await deps.qbittorrent.torrentsAction(action, [id], options);
    } catch (error) {
      if (!isQbittorrentError(error)) throw error;
      return sendError(reply, 503, ErrorCode.UNAVAILABLE, `qBittorrent did not ${action} the torrent: ${error.message}`);
    }
    return { hash: id, action, ...(options && { delete_files: options.deleteFiles }) };
  };

  app.post<{ Params: { hash: string; action: string } }>(
    '/api/v1/torrents/:hash/:action',
    { ...admin, schema: { params: ActionParams, querystring: Type.Object(KeyInQuery) } },
    (request, reply) => act(request.params.hash, ACTIONS[request.params.action]!, reply),
  );

  app.delete<{ Params: { hash: string }; Querystring: { delete_files?: boolean } }>(
    '/api/v1/torrents/:hash',
    {
      ...admin,
      schema: {
        params: Hash,
        querystring: Type.Object({
          delete_files: Type.Optional(Type.Boolean({ description: 'Also delete the downloaded data. Default false.' })),
          ...KeyInQuery,
        }),
      },
    },
    (request, reply) => act(request.params.hash, 'delete', reply, { deleteFiles: request.query.delete_files ?? false }),
  );
}

/** The rows matching the query's filters, in its order. */
function filterRows(rows: TorrentRow[], query: ListQuery): TorrentRow[] {
  const states = query.state === undefined ? undefined : new Set(query.state.split(',').map((state) => state.trim()));
  const search = query.search?.toLowerCase();
  const matching = rows.filter(
    (row) =>
      (states === undefined || states.has(row.state) || states.has(torrentStateGroup(row.state))) &&
      (query.category === undefined || row.category === query.category) &&
      (query.tag === undefined || row.tags.includes(query.tag)) &&
      (search === undefined || row.name.toLowerCase().includes(search)),
  );
  const field = query.sort ?? 'added_on';
  const direction = query.reverse ? -1 : 1;
  return matching.sort((a, b) => direction * compare(a[field], b[field]) || compare(a.hash, b.hash));
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}
