/**
 * A small program using the SDK, for the test that close() leaves nothing behind: it connects, subscribes,
 * and on its first alert leaves a request pending and closes. It must then exit by itself.
 * Usage: sdk-script.ts <ws url> <api key>
 */
import { QbtMonitorClient } from '../../src/client/node.js';

const [url, apiKey] = process.argv.slice(2);
if (!url || !apiKey) throw new Error('usage: sdk-script.ts <ws url> <api key>');

// A fast heartbeat and a long reconnect backoff: timers that would keep the process alive if close() missed them.
const client = new QbtMonitorClient({
  url,
  apiKey,
  heartbeat: { intervalMs: 50, timeoutMs: 5000 },
  reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
  requestTimeoutMs: 60_000,
});
client.on('alert', (data) => {
  process.stdout.write(`alert ${data.alert_id}\n`);
  const pending = client.requestData(['cpu_percent'], 5);
  void client.close().then(() => process.stdout.write('closed\n'));
  pending.catch((error: Error & { code?: string }) => process.stdout.write(`pending request: ${error.code}\n`));
});
client.connect();
await client.subscribe(['alert.*']);
process.stdout.write('ready\n');
