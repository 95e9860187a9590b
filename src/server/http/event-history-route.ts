/** GET /api/v1/events/history: the event log's durable events, newest first, filtered by patterns as in `subscribe`, paged by `seq`. */
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { HubEvent } from '../../hub/event.js';
import { eventFilter } from '../../hub/event-filter.js';
import type { EventLog } from '../../hub/event-log.js';
import { SubscriptionError } from '../../hub/subscriptions.js';
import { eventEnvelope } from '../../hub/encode.js';
import {
  ErrorCode,
  type EventHistoryReply,
  type LoggedEvent,
  MAX_EVENT_HISTORY_LIMIT,
  MAX_EVENT_HISTORY_SCAN,
  MAX_PATTERNS_PER_REQUEST,
} from '../../protocol/index.js';
import type { KeyRing } from '../api-keys.js';
import { KeyInQuery, requireRole } from './auth.js';
import { sendError } from './errors.js';

const DEFAULT_LIMIT = 50;
/** The log is read forwards in windows of this many `seq`s, from the newest back. */
const WINDOW = 500;

const Query = Type.Object({
  ...KeyInQuery,
  events: Type.Optional(
    Type.String({ minLength: 1, maxLength: 8192, description: 'Comma-separated patterns, as in `subscribe`. Default `*`.' }),
  ),
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'The next_before of a previous page.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EVENT_HISTORY_LIMIT, description: `Default ${DEFAULT_LIMIT}.` })),
});
type Parsed = { patterns: string[]; before: number | undefined; limit: number };

/** The query the schema let through, or the reason its patterns are not (naming the parameter). */
function parseQuery({ events, before, limit }: Static<typeof Query>): Parsed | string {
  const patterns = (events ?? '*')
    .split(',')
    .map((pattern) => pattern.trim())
    .filter(Boolean);
  if (patterns.length === 0 || patterns.length > MAX_PATTERNS_PER_REQUEST) {
    return `events: 1 to ${MAX_PATTERNS_PER_REQUEST} comma-separated patterns, as in subscribe`;
  }
  return { patterns, before, limit: limit ?? DEFAULT_LIMIT };
}

/**
 * Reads back from `before` (exclusive) until `limit` events match, the scan bound is reached, or the
 * log holds nothing older (its first `seq`, or events pruned below).
 */
async function readBack(
  log: EventLog,
  matches: (event: HubEvent) => boolean,
  { before, limit }: Parsed,
): Promise<Omit<EventHistoryReply, 'epoch'>> {
  const lastSeq = await log.lastSeq();
  let end = Math.min(before ?? lastSeq + 1, lastSeq + 1);
  const found: LoggedEvent[] = [];
  let scanned = 0;
  while (scanned < MAX_EVENT_HISTORY_SCAN) {
    const from = Math.max(log.base, end - 1 - WINDOW);
    if (from >= end - 1) return { last_seq: lastSeq, events: found, next_before: null };
    const { events } = await log.readSince(from, end - 1 - from);
    scanned += end - 1 - from;
    const inWindow = events.filter((event) => event.seq !== undefined && event.seq < end);
    for (let i = inWindow.length - 1; i >= 0; i--) {
      const event = inWindow[i]!;
      if (!matches(event)) continue;
      found.push(eventEnvelope(event) as LoggedEvent);
      if (found.length === limit) return { last_seq: lastSeq, events: found, next_before: event.seq! };
    }
    // Pruning takes the oldest events: a window that does not start where asked has nothing older below it.
    const first = inWindow[0]?.seq;
    if (first === undefined || first > from + 1) return { last_seq: lastSeq, events: found, next_before: null };
    end = from + 1;
  }
  return { last_seq: lastSeq, events: found, next_before: end };
}

export function registerEventHistoryRoute(http: FastifyInstance, deps: { keys: () => KeyRing; log: EventLog }): void {
  const route = { onRequest: requireRole(deps.keys, 'read'), schema: { querystring: Query } };
  http.get<{ Querystring: Static<typeof Query> }>('/api/v1/events/history', route, async (request, reply) => {
    const query = parseQuery(request.query);
    if (typeof query === 'string') return sendError(reply, 400, ErrorCode.INVALID_MESSAGE, query);
    let matches: (event: HubEvent) => boolean;
    try {
      matches = eventFilter(query.patterns);
    } catch (error) {
      if (error instanceof SubscriptionError) return sendError(reply, 400, ErrorCode.INVALID_MESSAGE, `events: ${error.message}`);
      throw error;
    }
    const page: EventHistoryReply = { epoch: deps.log.epoch, ...(await readBack(deps.log, matches, query)) };
    return page;
  });
}
