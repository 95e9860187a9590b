/**
 * One node of the cluster benchmark, in a process of its own: a qbt-monitor server on Redis.
 * argv: redis URL, node id, key prefix. IPC: sends {listening, port}; on {stop} (or the parent gone) stops and exits.
 */
import { rmSync } from 'node:fs';
import { startBenchServer } from './fanout.js';

const [redisUrl, nodeId, keyPrefix] = process.argv.slice(2) as [string, string, string];
const { app, port, dataDir } = await startBenchServer({ redis_url: redisUrl, node_id: nodeId, key_prefix: keyPrefix });

async function stop(): Promise<void> {
  await app.stop('bench');
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}

process.on('message', (message: { kind: string }) => {
  if (message.kind === 'stop') void stop();
});
process.on('disconnect', () => void stop());
process.send?.({ kind: 'listening', port });
