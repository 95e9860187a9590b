/**
 * GET /api/v1/alerts (the alert history, filtered and paged, newest first; in a cluster also the other
 * nodes' active alerts), and an admin's POST /api/v1/alerts/:id/resolve and /acknowledge on an active
 * alert of any node.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AlertLevelSchema, ClientDataSchemas, ClientMessageType, ErrorCode } from '../../protocol/index.js';
import { type AlertQuery, type AlertRecord, historyEntry } from '../../store/alert-store.js';
import { NotRecordedError } from '../../store/store-health.js';
import { AlertOwnerUnavailableError, type ClusterAlerts } from '../../sources/alerts/cluster-alerts.js';
import type { KeyRing } from '../api-keys.js';
import { KeyInQuery, requireRole } from './auth.js';
import { sendError } from './errors.js';

const DEFAULT_LIMIT = 100;

const HistoryQuery = Type.Object({
  ...KeyInQuery,
  status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('resolved')], { description: 'Default: both.' })),
  type: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$', description: 'An alert type such as "cpu".' })),
  level: Type.Optional(AlertLevelSchema),
  since: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'An ISO 8601 time such as 2024-01-01T00:00:00Z.' })),
  before: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'The next_before of a previous page.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: `Default ${DEFAULT_LIMIT}.` })),
});
const AlertParams = Type.Object({ id: ClientDataSchemas[ClientMessageType.resolveAlert].properties.alert_id });

/** A body holding at most the message's own text field, or no body at all. */
function optionalTextBody(field: string, schema: TSchema) {
  return Type.Union([Type.Object({ [field]: Type.Optional(schema) }), Type.Null()]);
}

/** A page's last alert as the opaque `before` of the next page. */
function cursorOf(record: AlertRecord): string {
  return Buffer.from(JSON.stringify([record.updated_at, record.alert_id])).toString('base64url');
}

function parseCursor(text: string): AlertQuery['before'] {
  try {
    const [updated_at, alert_id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof updated_at === 'string' && typeof alert_id === 'string') return { updated_at, alert_id };
  } catch {
    // Not one of ours: refused below.
  }
  return undefined;
}

/** The query the schema let through, or the reason its time or cursor is not one (naming the parameter). */
function toAlertQuery(query: Static<typeof HistoryQuery>): AlertQuery | string {
  const { status, type, level, since, before } = query;
  const sinceMs = since === undefined ? undefined : Date.parse(since);
  if (sinceMs !== undefined && !Number.isFinite(sinceMs)) return 'since: an ISO 8601 time such as 2024-01-01T00:00:00Z';
  const cursor = before === undefined ? undefined : parseCursor(before);
  if (before !== undefined && !cursor) return 'before: the next_before of a previous page';
  return {
    status,
    type,
    level,
    since: sinceMs === undefined ? undefined : new Date(sinceMs).toISOString(),
    before: cursor,
    limit: query.limit ?? DEFAULT_LIMIT,
  };
}

export function registerAlertRoutes(
  http: FastifyInstance,
  deps: { keys: () => KeyRing; alerts: Pick<ClusterAlerts, 'list' | 'resolve' | 'acknowledge'> },
): void {
  const historyRoute = { onRequest: requireRole(deps.keys, 'read'), schema: { querystring: HistoryQuery } };
  http.get<{ Querystring: Static<typeof HistoryQuery> }>('/api/v1/alerts', historyRoute, async (request, reply) => {
    const query = toAlertQuery(request.query);
    if (typeof query === 'string') return sendError(reply, 400, ErrorCode.INVALID_MESSAGE, query);
    const alerts = await deps.alerts.list(query);
    const last = alerts.at(-1);
    return { alerts: alerts.map(historyEntry), next_before: alerts.length === query.limit && last ? cursorOf(last) : null };
  });

  /** An admin's action on an active alert of any node, answered with the alert as it now is. */
  const act = (
    path: string,
    field: string,
    text: TSchema,
    run: (alertId: string, text: string | undefined, by: string) => Promise<AlertRecord | undefined>,
  ) => {
    const route = { onRequest: requireRole(deps.keys, 'admin'), schema: { params: AlertParams, body: optionalTextBody(field, text) } };
    http.post<{ Params: Static<typeof AlertParams>; Body: Record<string, string | undefined> | null }>(
      path,
      route,
      async (request, reply) => {
        let alert: AlertRecord | undefined;
        try {
          alert = await run(request.params.id, request.body?.[field], request.identity!.name);
        } catch (error) {
          if (error instanceof AlertOwnerUnavailableError || error instanceof NotRecordedError) {
            return sendError(reply, 503, ErrorCode.UNAVAILABLE, error.message);
          }
          throw error;
        }
        if (!alert) return sendError(reply, 404, ErrorCode.NOT_FOUND, `no active alert "${request.params.id}"`);
        return { alert: historyEntry(alert) };
      },
    );
  };

  // The same text fields, with the same bounds, as the resolve_alert and acknowledge_alert messages.
  const { resolution } = ClientDataSchemas[ClientMessageType.resolveAlert].properties;
  const { comment } = ClientDataSchemas[ClientMessageType.acknowledgeAlert].properties;
  act('/api/v1/alerts/:id/resolve', 'resolution', resolution, (id, text, by) => deps.alerts.resolve(id, text, by));
  act('/api/v1/alerts/:id/acknowledge', 'comment', comment, (id, text, by) => deps.alerts.acknowledge(id, text, by));
}
