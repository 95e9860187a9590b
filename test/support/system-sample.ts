/** System samples for tests that publish their own: the figures as the server last measured them, read from its metric store. */
import type { SystemMetrics } from '../../src/protocol/index.js';
import type { TestServer } from './server.js';

const METRICS = ['cpu_percent', 'memory_percent', 'disk_usage_percent', 'network_io.bytes_sent', 'network_io.bytes_recv', 'process_count'];

/** The last measured figures (0 where none yet): published with a few changed, charts move only where the test means them to. */
export async function lastSystemSample(server: Pick<TestServer, 'app'>): Promise<SystemMetrics> {
  const { metrics } = await server.app.metrics.query(METRICS, 1);
  const current = (name: string) => metrics[name]?.current ?? 0;
  return {
    cpu_percent: current('cpu_percent'),
    memory_percent: current('memory_percent'),
    disk_usage_percent: current('disk_usage_percent'),
    network_io: { bytes_sent: current('network_io.bytes_sent'), bytes_recv: current('network_io.bytes_recv') },
    process_count: current('process_count'),
  };
}
