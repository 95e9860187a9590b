/** Opens Redis connections: they fail fast when Redis cannot be reached at start, and reconnect for ever once it could. */
import { Redis, ReplyError } from 'ioredis';
import { backoffDelay } from '../../protocol/backoff.js';

/** Thrown when Redis cannot be reached at start: the caller exits with its message. */
export class RedisUnreachableError extends Error {
  readonly code = 'REDIS_UNREACHABLE';
  override readonly name = 'RedisUnreachableError';
}

const CONNECT_TIMEOUT_MS = 5000;
/** Reconnect delays while running: full jitter under a ceiling that keeps an outage's tail short. */
const RECONNECT = { initialDelayMs: 50, maxDelayMs: 1000 };

export async function openRedis(url: string, connectionName: string): Promise<Redis> {
  let established = false;
  let lastError: Error | undefined;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectionName,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // A command fails at once while the connection is down, and one in flight fails when it drops:
    // nothing waits inside ioredis, and the bus decides what to retry.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    retryStrategy: (attempt) => (established ? backoffDelay(attempt, RECONNECT) : null),
  });
  const remember = (error: Error) => {
    lastError = error;
  };
  redis.on('error', remember);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    const cause = lastError ?? (error as Error);
    throw new RedisUnreachableError(`cannot reach Redis at ${redactUrl(url)}: ${cause.message}`, { cause });
  } finally {
    redis.off('error', remember);
  }
  established = true;
  return redis;
}

/**
 * A node's three connections: commands, the stream reader (a blocking read holds its connection), and
 * pub/sub (a subscribed connection takes no other command). All or none: a failure closes the others.
 */
export async function openConnections(url: string, nodeId: string): Promise<[command: Redis, reader: Redis, subscriber: Redis]> {
  const name = `qbtm-${nodeId.replace(/[^\w.-]/g, '_')}`;
  const opened = await Promise.allSettled(['command', 'reader', 'subscriber'].map((role) => openRedis(url, `${name}-${role}`)));
  const failed = opened.find((result) => result.status === 'rejected');
  if (!failed) return opened.map((result) => (result as PromiseFulfilledResult<Redis>).value) as [Redis, Redis, Redis];
  for (const result of opened) if (result.status === 'fulfilled') result.value.disconnect();
  throw failed.reason;
}

/** Whether Redis answered the command with an error (retrying will not help), rather than the connection failing. */
export function isRedisAnswer(error: unknown): boolean {
  return error instanceof ReplyError;
}

/** The URL without its password, for messages. */
function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
