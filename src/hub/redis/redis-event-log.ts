/**
 * The event log in Redis, one for the whole cluster: a script numbers each durable event from one
 * counter and adds it to a stream under the id `<seq>-0` in the same step, so `seq` order is stream order.
 */
import type { Redis } from 'ioredis';
import type { HubEvent } from '../event.js';
import type { EventLog, ReadSince } from '../event-log.js';
import { decodeEvent, encodeEvent, parseEntry } from './event-codec.js';
import type { ClusterKeys } from './keys.js';
import { luaScript } from './lua-script.js';

/** Entries read per step when pruning, so that one step never holds Redis long. */
const PRUNE_BATCH = 1000;
/** How long Redis remembers a bus instance's last appended outbox number (a retry comes within an outage). */
const PRODUCER_MEMORY_MS = 7 * 24 * 3_600_000;

// `at` is Redis's clock: one clock for every node, so retention trims a prefix of the stream.
// Numbers go through string.format('%d'): Lua would write a large one as 1.7e+15.
const APPEND = luaScript(`
if KEYS[3] then
  -- From a bus's outbox: an append retried after its reply was lost with the connection is recorded once.
  if tonumber(ARGV[3]) <= tonumber(redis.call('GET', KEYS[3]) or '0') then return 0 end
  redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[4])
end
local seq = redis.call('INCR', KEYS[1])
local now = redis.call('TIME')
local id = string.format('%d-0', seq)
local at = string.format('%d', now[1] * 1000 + math.floor(now[2] / 1000))
if KEYS[3] then
  redis.call('XADD', KEYS[2], id, 'at', at, 'event', ARGV[1], 'origin', ARGV[2], 'n', ARGV[3])
else
  redis.call('XADD', KEYS[2], id, 'at', at, 'event', ARGV[1])
end
return seq
`);

// The counter restarts from Redis's clock in microseconds: above every seq issued before (unless
// more than one per microsecond since the previous loss), whichever node notices first, however far
// behind it was. Below 2^53 until the year 2255.
const RESTORE_SEQUENCE = luaScript(`
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then return 0 end
local now = redis.call('TIME')
redis.call('SET', KEYS[1], string.format('%d', math.max(now[1] * 1000000 + now[2], tonumber(ARGV[1]))))
return 1
`);

export interface RedisEventLog extends EventLog {
  /**
   * Appends an event from a bus's outbox, where `origin` (the bus instance) numbered it `n`. An `n`
   * already appended is skipped: resolves false. Its `seq` reaches the bus through the stream.
   */
  appendFromOutbox(event: HubEvent, origin: string, n: number): Promise<boolean>;
  /**
   * Called on reconnecting with the highest `seq` this node has read. If Redis is behind it (restarted
   * without persistence, failed over to a lagging replica), moves the counter far past it and resolves true.
   */
  restoreSequence(seen: number): Promise<boolean>;
}

export function createRedisEventLog(redis: Redis, keys: ClusterKeys): RedisEventLog {
  const lastSeq = async (): Promise<number> => Number((await redis.get(keys.seq)) ?? 0);

  return {
    async append(event) {
      const seq = Number(await APPEND(redis, [keys.seq, keys.events], [encodeEvent(event)]));
      return { ...event, seq };
    },
    async appendFromOutbox(event, origin, n) {
      const seq = await APPEND(redis, [keys.seq, keys.events, keys.producer(origin)], [encodeEvent(event), origin, n, PRODUCER_MEMORY_MS]);
      return seq !== 0;
    },
    async readSince(after, limit): Promise<ReadSince> {
      const [last, raw] = await Promise.all([lastSeq(), redis.xrange(keys.events, `${after + 1}-0`, '+', 'COUNT', limit)]);
      const entries = raw.map(parseEntry);
      const first = entries[0]?.seq;
      // Trimmed (or lost) past `after`: the events right after it are gone.
      if (after < last && (first === undefined || first > after + 1)) return { gap: true, oldestSeq: first ?? last + 1 };
      return { gap: false, events: entries.map((entry) => decodeEvent(entry.event, entry.seq)) };
    },
    lastSeq,
    async prune(olderThanMs) {
      let removed = 0;
      for (;;) {
        const entries = (await redis.xrange(keys.events, '-', '+', 'COUNT', PRUNE_BATCH)).map(parseEntry);
        const kept = entries.findIndex((entry) => entry.at >= olderThanMs);
        const old = kept < 0 ? entries.length : kept;
        if (old === 0) return removed;
        // MINID keeps every entry from that id on: the first one kept, or the one after this batch.
        const minId = kept < 0 ? entries[old - 1]!.seq + 1 : entries[kept]!.seq;
        removed += await redis.xtrim(keys.events, 'MINID', `${minId}-0`);
        if (kept >= 0 || entries.length < PRUNE_BATCH) return removed;
      }
    },
    async restoreSequence(seen) {
      return (await RESTORE_SEQUENCE(redis, [keys.seq], [seen])) === 1;
    },
  };
}
