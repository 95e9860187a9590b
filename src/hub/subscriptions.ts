/**
 * One connection's subscriptions (docs/protocol.md, "Events and subscriptions"): every type flows
 * until the client subscribes to a pattern of that type; from then on the type is narrowed to the
 * patterns (with their filters) it subscribed. Matching reads the event's data object: no JSON.
 * Bounded per connection (patterns, and the bytes of patterns and filters as the `subscribed` listing
 * carries them), so that the listing every reply carries stays small.
 */
import { type EventType, type FilterScalar, type Filters, type ParsedPattern, parsePattern } from '../protocol/index.js';
import type { EventData, HubEvent } from './event.js';

interface Rule {
  pattern: string;
  /** null: every subtype of the type. */
  subtype: string | null;
  filters: Filters;
  /** The rule's size in the `subscribed` listing: its pattern and its own copy of the filters. */
  listedBytes: number;
  conditions: Array<{ path: string[]; allowed: Set<FilterScalar> }>;
}

export interface SubscriptionLimits {
  /** Patterns in force at once (`limits.max_subscriptions`). */
  maxPatterns: number;
  /** Bytes of patterns and their JSON filters in force at once, as the listing carries them (`limits.max_subscription_bytes`). */
  maxListedBytes: number;
}

const FILTER_KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export class SubscriptionError extends Error {}

export class Subscriptions {
  readonly #allowed: readonly EventType[];
  readonly #limits: SubscriptionLimits;
  /** The narrowed types and their rules; created at the first subscribe or unsubscribe (most connections make none). */
  #narrowed: Map<EventType, Rule[]> | undefined;

  constructor(allowed: readonly EventType[], limits: SubscriptionLimits = { maxPatterns: Infinity, maxListedBytes: Infinity }) {
    this.#allowed = allowed;
    this.#limits = limits;
  }

  /** Whether the event's type is narrowed, and if so whether one of its rules matches. The endpoint check is the caller's. */
  accepts(event: HubEvent): boolean {
    const rules = this.#narrowed?.get(event.type);
    if (rules === undefined) return true;
    for (const rule of rules) {
      if ((rule.subtype === null || rule.subtype === event.subtype) && matches(rule, event.data)) return true;
    }
    return false;
  }

  /** Adds the patterns with these filters (replacing an equal pattern's filters). All or nothing: throws SubscriptionError. */
  subscribe(patterns: readonly string[], filters: Filters = {}): void {
    const conditions = compileFilters(filters);
    const targets = this.#resolve(patterns);
    const filterBytes = Buffer.byteLength(JSON.stringify(filters));
    this.#checkLimits(targets.map(({ pattern }) => [pattern, Buffer.byteLength(pattern) + filterBytes]));
    const narrowed = (this.#narrowed ??= new Map<EventType, Rule[]>());
    for (const target of targets) {
      const rules = narrowed.get(target.type) ?? [];
      const listedBytes = Buffer.byteLength(target.pattern) + filterBytes;
      const rule: Rule = { pattern: target.pattern, subtype: target.subtype, filters, listedBytes, conditions };
      const existing = rules.findIndex((r) => r.pattern === rule.pattern);
      if (existing >= 0) rules[existing] = rule;
      else rules.push(rule);
      narrowed.set(target.type, rules);
    }
  }

  /**
   * Removes the patterns. A whole-type pattern (`alert`, `alert.*`, `*`) stops that type altogether,
   * even when it was never narrowed; an exact name that is not subscribed changes nothing.
   */
  unsubscribe(patterns: readonly string[]): void {
    const targets = this.#resolve(patterns);
    const narrowed = (this.#narrowed ??= new Map<EventType, Rule[]>());
    for (const target of targets) {
      const rules = narrowed.get(target.type) ?? [];
      const kept = target.subtype === null ? [] : rules.filter((r) => r.pattern !== target.pattern);
      if (target.subtype === null || narrowed.has(target.type)) narrowed.set(target.type, kept);
    }
  }

  /** The subscriptions in force, and the types still delivered in full. */
  describe(): { subscriptions: Array<{ pattern: string; filters: Filters }>; unfiltered_types: EventType[] } {
    const narrowed = this.#narrowed ?? new Map<EventType, Rule[]>();
    const subscriptions = [...narrowed.values()].flat().map(({ pattern, filters }) => ({ pattern, filters }));
    return { subscriptions, unfiltered_types: this.#allowed.filter((type) => !narrowed.has(type)) };
  }

  /** Throws unless the subscriptions in force, with these patterns added or replaced, stay within the limits. */
  #checkLimits(added: ReadonlyArray<[pattern: string, listedBytes: number]>): void {
    const sizes = new Map([...(this.#narrowed?.values() ?? [])].flat().map((rule) => [rule.pattern, rule.listedBytes]));
    for (const [pattern, bytes] of added) sizes.set(pattern, bytes);
    const { maxPatterns, maxListedBytes } = this.#limits;
    if (sizes.size > maxPatterns) {
      throw new SubscriptionError(`at most ${maxPatterns} patterns per connection (limits.max_subscriptions): unsubscribe some first`);
    }
    let total = 0;
    for (const bytes of sizes.values()) total += bytes;
    if (total > maxListedBytes) {
      throw new SubscriptionError(
        `patterns and filters would take ${total} bytes, over ${maxListedBytes} per connection (limits.max_subscription_bytes)`,
      );
    }
  }

  #resolve(patterns: readonly string[]): Array<{ type: EventType; subtype: string | null; pattern: string }> {
    return patterns.flatMap((raw) => {
      const parsed: ParsedPattern | undefined = parsePattern(raw);
      if (!parsed) throw new SubscriptionError(`"${raw}" is not an event name or pattern (e.g. "alert.cpu", "alert.*", "*")`);
      if (parsed.kind === 'all') {
        return this.#allowed.map((type) => ({ type, subtype: null, pattern: `${type}.*` }));
      }
      if (!this.#allowed.includes(parsed.type)) {
        throw new SubscriptionError(`"${raw}": ${parsed.type} events are not delivered on this endpoint`);
      }
      return [{ type: parsed.type, subtype: parsed.kind === 'exact' ? parsed.subtype : null, pattern: parsed.pattern }];
    });
  }
}

function compileFilters(filters: Filters): Rule['conditions'] {
  return Object.entries(filters).map(([key, value]) => {
    if (!FILTER_KEY.test(key)) throw new SubscriptionError(`filter "${key}" is not a field path (e.g. "level", "tags.endpoint")`);
    return { path: key.split('.'), allowed: new Set(Array.isArray(value) ? value : [value]) };
  });
}

function matches(rule: Rule, data: EventData): boolean {
  for (const { path, allowed } of rule.conditions) {
    let value: unknown = data;
    for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
    if (Array.isArray(value) ? !value.some((v) => allowed.has(v)) : !allowed.has(value as FilterScalar)) return false;
  }
  return true;
}
