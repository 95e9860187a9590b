/**
 * What a connection costs while it does nothing, and while connections come and go: the live bytes
 * the server process holds per idle connection (after a full collection), and the rate of connections
 * opened, greeted and closed, with the server's CPU time per connection.
 */
import { forkSubscribers, type ServerKind, type SubscriberProcess, startServerProcess } from './processes.js';

export interface IdleResult {
  /** JS heap and external memory (Buffers) per connection, bytes. */
  bytesPerConnection: number;
  /** Resident set per connection, bytes: adds native memory (socket handles), but also allocator slack. */
  rssPerConnection: number;
}

/** Connections opened before the first reading, so that what is created once (code, pools) is not counted per connection. */
const WARM_UP_CONNECTIONS = 100;
const SETTLE_MS = 500;

/** Opens `connections` idle connections (authenticated and acknowledged; greeted, on the bare server) and reads the memory they take. */
export async function idleOnce(kind: ServerKind, connections: number): Promise<IdleResult> {
  const server = await startServerProcess(kind);
  const groups: SubscriberProcess[] = [];
  const open = async (count: number) => {
    groups.push(await forkSubscribers({ url: server.url, count, headers: server.headers }));
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  };
  try {
    await open(WARM_UP_CONNECTIONS);
    const before = await server.usage(true);
    await open(connections);
    const after = await server.usage(true);
    return {
      bytesPerConnection: (after.heap + after.external - before.heap - before.external) / connections,
      rssPerConnection: (after.rss - before.rss) / connections,
    };
  } finally {
    for (const group of groups) group.kill();
    await server.stop();
  }
}

export interface ChurnResult {
  connectionsPerSecond: number;
  /** Server CPU time (user + system) per connection, µs. */
  cpuPerConnection: number;
}

/** Connections opened, greeted (qbt-monitor: authenticated and acknowledged) and closed by the client, `concurrency` at a time. */
export async function churnOnce(kind: ServerKind, seconds: number, concurrency: number): Promise<ChurnResult> {
  const server = await startServerProcess(kind);
  const client = await forkSubscribers({ url: server.url, count: 0, headers: server.headers });
  try {
    // A short first round warms both sides up; the measured one follows.
    await client.churn(0.5, concurrency);
    const before = await server.usage();
    const completed = await client.churn(seconds, concurrency);
    const after = await server.usage();
    return { connectionsPerSecond: completed / seconds, cpuPerConnection: (after.cpuMicros - before.cpuMicros) / completed };
  } finally {
    client.kill();
    await server.stop();
  }
}
