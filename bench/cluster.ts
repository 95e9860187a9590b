/**
 * Cluster latency: the same paced bursts delivered by one process without Redis, and by 1 or 2
 * cluster nodes (processes of their own on one throwaway redis-server) from a bus-only publisher
 * process through Redis pub/sub, subscribers split evenly over the nodes. Same delivered rate for all.
 */
import { type FanOutOptions, type FanOutResult, fanOutOnce, measure } from './fanout.js';
import { forkSubscribers, type ServerProcess, startServerProcess, type SubscriberProcess } from './processes.js';

let runs = 0;

/** `subscribers` split evenly over `nodes` node processes, each with its own subscriber process. */
export async function clusterOnce(redisUrl: string, nodes: number, subscribers: number, options: FanOutOptions): Promise<FanOutResult> {
  runs += 1;
  const keyPrefix = `bench-${process.pid}-${runs}`;
  const servers: ServerProcess[] = [];
  const groups: SubscriberProcess[] = [];
  let publisher: ServerProcess | undefined;
  try {
    for (let i = 1; i <= nodes; i += 1) servers.push(await startServerProcess('node', [redisUrl, `node-${i}`, keyPrefix]));
    publisher = await startServerProcess('publisher', [redisUrl, 'bench-publisher', keyPrefix]);
    for (const server of servers) {
      groups.push(
        await forkSubscribers({ url: server.url, count: subscribers / nodes, headers: server.headers, subscribe: server.subscribe }),
      );
    }
    return await measure(publisher, servers, groups, subscribers, options);
  } finally {
    for (const group of groups) group.kill();
    await Promise.all([publisher, ...servers].map((server) => server?.stop()));
  }
}

export const CLUSTER_SETUPS = ['1 process, no Redis', '1 node on Redis', '2 nodes on Redis'] as const;

export function clusterSetup(redisUrl: string, setup: (typeof CLUSTER_SETUPS)[number]) {
  return (subscribers: number, options: FanOutOptions): Promise<FanOutResult> =>
    setup === '1 process, no Redis'
      ? fanOutOnce('qbt-monitor', subscribers, options)
      : clusterOnce(redisUrl, setup === '1 node on Redis' ? 1 : 2, subscribers, options);
}
