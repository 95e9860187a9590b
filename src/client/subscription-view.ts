/**
 * Subscription matching on the client side, read from the server's own `subscribed`/`unsubscribed`
 * reply (docs/protocol.md, "Events and subscriptions"; the server's side is src/hub/subscriptions.ts):
 * which events a set of subscriptions lets through, and the requests that rebuild it on a new connection.
 */
import type { Filters, FilterScalar } from '../protocol/client-messages.js';
import { MAX_PATTERNS_PER_REQUEST } from '../protocol/limits.js';
import { type EventType, isEventType } from '../protocol/message-types.js';
import type { SubscriptionsPayload } from '../protocol/server-messages.js';

/** The field of `data` that names each type's subtype: `alert.cpu` carries `data.type === "cpu"` (torrent events have none: only `meta.event`). */
const SUBTYPE_FIELD: Readonly<Partial<Record<EventType, string>>> = {
  performance: 'metric_name',
  alert: 'type',
  status: 'component',
  config: 'action',
  system: 'event',
};

interface EventLike {
  type: string;
  data?: unknown;
  meta?: { event?: string };
}

/** The event name (`alert.cpu`) of an event message: `meta.event`, or, from older servers, derived from `data`. */
export function eventNameOf(message: EventLike): string | undefined {
  if (!isEventType(message.type)) return undefined;
  if (message.meta?.event !== undefined) return message.meta.event;
  const field = SUBTYPE_FIELD[message.type];
  const subtype = field === undefined ? undefined : (message.data as Record<string, unknown> | undefined)?.[field];
  if (typeof subtype === 'string') return `${message.type}.${subtype}`;
  // System samples carry no metric_name; custom metrics do.
  return message.type === 'performance' ? 'performance.system' : undefined;
}

/** Whether the subscriptions let this message through (messages that are not events always pass). */
export function acceptsEvent(state: SubscriptionsPayload, message: EventLike): boolean {
  if (!isEventType(message.type) || state.unfiltered_types.includes(message.type)) return true;
  const wholeType = `${message.type}.*`;
  const name = eventNameOf(message);
  return state.subscriptions.some(
    ({ pattern, filters }) => (pattern === wholeType || pattern === name) && matchesFilters(filters, message.data),
  );
}

/** Every filter holds: the field (a dotted path into `data`) is one of the allowed values, or, for a list, contains one. */
export function matchesFilters(filters: Filters, data: unknown): boolean {
  return Object.entries(filters).every(([path, expected]) => {
    const allowed: readonly FilterScalar[] = Array.isArray(expected) ? expected : [expected];
    const value = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], data);
    return Array.isArray(value) ? value.some((v: FilterScalar) => allowed.includes(v)) : allowed.includes(value as FilterScalar);
  });
}

export type SubscriptionRequest =
  | { type: 'subscribe'; data: { events: string[]; filters: Filters } }
  | { type: 'unsubscribe'; data: { events: string[] } };

/** The requests that take a fresh connection, where every type of the endpoint flows, to the subscriptions `state` describes. */
export function restorePlan(state: SubscriptionsPayload, endpointTypes: readonly string[]): SubscriptionRequest[] {
  const byFilters = new Map<string, { events: string[]; filters: Filters }>();
  for (const { pattern, filters } of state.subscriptions) {
    const key = JSON.stringify(filters);
    const group = byFilters.get(key) ?? { events: [], filters };
    group.events.push(pattern);
    byFilters.set(key, group);
  }
  const plan: SubscriptionRequest[] = [...byFilters.values()].flatMap(({ events, filters }) =>
    chunks(events).map((chunk) => ({ type: 'subscribe' as const, data: { events: chunk, filters } })),
  );
  // A type narrowed to nothing (all its patterns unsubscribed) has no subscription to rebuild it from: stop it whole.
  const subscribedTypes = new Set(state.subscriptions.map(({ pattern }) => pattern.slice(0, pattern.indexOf('.'))));
  const stopped = endpointTypes.filter((type) => !state.unfiltered_types.includes(type) && !subscribedTypes.has(type));
  if (stopped.length > 0) plan.push({ type: 'unsubscribe', data: { events: stopped.map((type) => `${type}.*`) } });
  return plan;
}

function chunks(events: string[]): string[][] {
  const result: string[][] = [];
  for (let i = 0; i < events.length; i += MAX_PATTERNS_PER_REQUEST) result.push(events.slice(i, i + MAX_PATTERNS_PER_REQUEST));
  return result;
}
