/**
 * The benchmark's subscriber process: opens N WebSocket clients to the server under test, counts
 * what they receive and measures latency from the `sent_at` stamped in each message. Talks to the
 * parent over IPC: {connect} -> {ready}, progress ticks, {finish} -> {result}.
 */
import WebSocket from 'ws';

interface ConnectCommand {
  kind: 'connect';
  url: string;
  count: number;
  headers: Record<string, string>;
  subscribe?: object;
}

const MARK = Buffer.from('"sent_at":');
const LATENCY_SAMPLES = 200_000;

const sockets: WebSocket[] = [];
let received = 0;
const latencies = new Float64Array(LATENCY_SAMPLES);
let sampled = 0;
let sampleEvery = 1;
let counting = false;

function onMessage(raw: Buffer): void {
  if (!counting) return;
  received += 1;
  if (received % sampleEvery !== 0 || sampled >= LATENCY_SAMPLES) return;
  const at = raw.indexOf(MARK);
  if (at < 0) return;
  const sentAt = Number.parseFloat(raw.toString('latin1', at + MARK.length, at + MARK.length + 24));
  latencies[sampled] = performance.timeOrigin + performance.now() - sentAt;
  sampled += 1;
}

async function connectAll(command: ConnectCommand): Promise<void> {
  sampleEvery = Math.max(1, Math.floor(command.count / 10));
  const batch = 200;
  for (let i = 0; i < command.count; i += batch) {
    const opening: Array<Promise<void>> = [];
    for (let j = i; j < Math.min(command.count, i + batch); j += 1) {
      const ws = new WebSocket(command.url, { headers: { ...command.headers, 'X-Client-ID': `bench-${j}` } });
      sockets.push(ws);
      opening.push(
        new Promise((resolve, reject) => {
          ws.once('error', reject);
          const ready = (raw: Buffer) => {
            // The bare server says nothing first; qbt-monitor acknowledges, then we subscribe and wait for the reply.
            const text = raw.toString();
            if (command.subscribe && text.includes('"type":"connection"')) ws.send(JSON.stringify(command.subscribe));
            else if (!command.subscribe || text.includes('"type":"subscribed"')) {
              ws.off('message', ready);
              ws.on('message', onMessage);
              resolve();
            }
          };
          ws.on('message', ready);
          if (!command.subscribe) ws.once('open', () => ready(Buffer.from('')));
        }),
      );
    }
    await Promise.all(opening);
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const progress = setInterval(() => process.send?.({ kind: 'progress', received }), 5);

process.on('message', (command: ConnectCommand | { kind: 'start' } | { kind: 'finish' }) => {
  if (command.kind === 'connect') {
    connectAll(command).then(
      () => process.send?.({ kind: 'ready' }),
      (error: unknown) => process.send?.({ kind: 'failed', error: String(error) }),
    );
  } else if (command.kind === 'start') {
    received = 0;
    sampled = 0;
    counting = true;
  } else {
    counting = false;
    const sorted = latencies.slice(0, sampled).sort();
    process.send?.({ kind: 'result', received, p50: percentile(sorted, 50), p99: percentile(sorted, 99) });
    clearInterval(progress);
    for (const ws of sockets) ws.terminate();
    process.disconnect?.();
  }
});
