/**
 * The running config and its changes (docs/protocol.md, "Config events"): a change is validated whole, diffed
 * field by field, applied to every listener at once, and announced as `config.updated` with secrets
 * masked; an invalid one is announced as `config.rejected` and changes nothing.
 */
import { isDeepStrictEqual } from 'node:util';
import { type ConfigUpdated, EventName, type PublishEvent } from '../protocol/index.js';
import { MASK } from './mask.js';
import type { Config } from './schema.js';
import { maskTargets } from './target-url.js';
import { ConfigError, validateConfig } from './validate.js';

/** Fields that only take effect on restart: the listening socket and the cluster backplane. */
const RESTART_FIELDS = ['server.host', 'server.port', 'cluster'];
/** Fields whose values never leave the process. */
const SECRET_FIELDS = ['auth.api_keys', 'qbittorrent.password', 'qbittorrent.api_key', 'cluster.redis_url'];
export { MASK };
/** Fields shown with their secret parts masked rather than whole. */
const PARTLY_SECRET: Readonly<Record<string, (value: unknown) => unknown>> = { 'notifications.targets': maskTargets };

export type ConfigListener = (config: Config, previous: Config, fields: readonly string[]) => void;

export type ApplyResult = { ok: true; fields: string[]; restartRequired: string[] } | { ok: false; reason: string };

/** A validated change, not yet in force: `commit` applies it. */
export interface PendingChange {
  readonly ok: true;
  /** The file value it came from (before overrides and defaults). */
  readonly source: unknown;
  readonly previous: Config;
  readonly next: Config;
  readonly fields: string[];
  readonly restartRequired: string[];
}

export class LiveConfig {
  #current: Config;
  #source: unknown;
  #turn: Promise<unknown> = Promise.resolve();
  readonly #listeners = new Set<ConfigListener>();
  readonly #publish: PublishEvent;
  readonly #prepare: (raw: unknown) => unknown;

  /**
   * `source` is the config file's value the initial config came from (before overrides and defaults).
   * `prepare` lays the command line's and environment's overrides over every candidate, as at start:
   * a file edit must not move a port that a flag chose.
   */
  constructor(
    initial: Config,
    options: {
      publish: PublishEvent;
      prepare?: (raw: unknown) => unknown;
      source?: unknown;
    },
  ) {
    this.#current = initial;
    this.#source = options.source ?? {};
    this.#publish = options.publish;
    this.#prepare = options.prepare ?? ((raw) => raw);
  }

  /**
   * Runs config changes one at a time: a PATCH waiting for its event to be recorded is not overtaken
   * by a file edit, nor by another PATCH.
   */
  serialize<T>(task: () => T | Promise<T>): Promise<T> {
    const turn = this.#turn.then(task);
    this.#turn = turn.catch(() => undefined);
    return turn;
  }

  get current(): Config {
    return this.#current;
  }

  /**
   * The file value of the running config: what the file held when it was last applied. When the file
   * is gone, a change through the API starts from this, not from the defaults.
   */
  get source(): unknown {
    return structuredClone(this.#source);
  }

  onChange(listener: ConfigListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Announces a change that could not even be read (e.g. a file that is not JSON). */
  reject(reason: string, updatedBy: string): ApplyResult {
    this.#publish(EventName.configRejected, { action: 'rejected', reason, updated_by: updatedBy });
    return { ok: false, reason };
  }

  /** Validates `candidate` (a whole config as read from the file, before defaults) and says what would change, changing nothing. */
  check(candidate: unknown, origin: string): PendingChange | { ok: false; reason: string } {
    let next: Config;
    try {
      next = validateConfig(this.#prepare(candidate), origin);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return { ok: false, reason: error.problems.join('; ') };
    }
    const fields = changedFields(this.#current, next).sort();
    const restartRequired = fields.filter((field) => RESTART_FIELDS.some((f) => field === f || field.startsWith(`${f}.`)));
    return { ok: true, source: candidate, previous: this.#current, next, fields, restartRequired };
  }

  /** The `config.updated` data announcing this change. */
  announcement(change: PendingChange, updatedBy: string): ConfigUpdated {
    return {
      action: 'updated',
      fields: change.fields,
      old_values: valuesOf(change.previous, change.fields),
      new_values: valuesOf(change.next, change.fields),
      updated_by: updatedBy,
      restart_required: change.restartRequired,
    };
  }

  /** Puts a checked change in force, for every listener at once. Throws if another change came first. */
  commit(change: PendingChange): void {
    if (change.previous !== this.#current) throw new Error('the running config changed since this change was checked');
    this.#source = change.source;
    if (change.fields.length === 0) return;
    this.#current = change.next;
    for (const listener of this.#listeners) listener(change.next, change.previous, change.fields);
  }

  /** Validates `candidate` and applies what changed, then announces it; an invalid one is announced as rejected. */
  apply(candidate: unknown, updatedBy: string, origin: string): ApplyResult {
    const change = this.check(candidate, origin);
    if (!change.ok) return this.reject(change.reason, updatedBy);
    this.commit(change);
    if (change.fields.length > 0) this.#publish(EventName.configUpdated, this.announcement(change, updatedBy));
    return { ok: true, fields: change.fields, restartRequired: change.restartRequired };
  }
}

/** Dotted names of the leaves that differ, stopping at arrays and secrets (reported whole). */
export function changedFields(before: unknown, after: unknown, prefix = ''): string[] {
  if (isDeepStrictEqual(before, after)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(before) || !isObject(after) || SECRET_FIELDS.includes(prefix)) return [prefix];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].flatMap((key) => changedFields(before[key], after[key], prefix ? `${prefix}.${key}` : key));
}

export function valueAt(config: unknown, field: string): unknown {
  let value: unknown = config;
  for (const key of field.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}

/** The values of these fields, secrets masked (a secret that is unset stays visible as unset). */
export function valuesOf(config: Config, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(
    fields.map((field) => {
      const value = valueAt(config, field);
      const mask = PARTLY_SECRET[field];
      if (mask) return [field, mask(value)];
      return [field, isSecret(field) && value !== undefined ? MASK : value];
    }),
  );
}

export function isSecret(field: string): boolean {
  return SECRET_FIELDS.some((secret) => field === secret || field.startsWith(`${secret}.`));
}

/** The config with every secret masked, for `GET /api/v1/config`. */
export function maskedConfig(config: Config): Config {
  const copy = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  for (const secret of SECRET_FIELDS) {
    const [section, key] = secret.split('.') as [string, string];
    if (copy[section]?.[key] !== undefined) copy[section][key] = MASK;
  }
  for (const [field, mask] of Object.entries(PARTLY_SECRET)) {
    const [section, key] = field.split('.') as [string, string];
    if (copy[section]?.[key] !== undefined) copy[section][key] = mask(copy[section][key]);
  }
  return copy as unknown as Config;
}
