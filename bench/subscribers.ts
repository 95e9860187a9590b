/**
 * The benchmark's client process: opens N WebSocket clients to the server under test, counts the
 * benchmark's messages they receive and measures latency from the `sent_at` stamped in each; or churns
 * connections (open, first message, close). Talks to the parent over IPC (processes.ts): {connect} ->
 * {ready}, progress ticks, {finish} -> {result}; {churn} -> {churned}.
 */
import WebSocket from 'ws';
import type { SubscriberCommand, SubscriberReport } from './processes.js';

const MARK = Buffer.from('"sent_at":');
const LATENCY_SAMPLES = 200_000;

const sockets: WebSocket[] = [];
let received = 0;
const latencies = new Float64Array(LATENCY_SAMPLES);
let sampled = 0;
let sampleEvery = 1;
let counting = false;

const report = (message: SubscriberReport) => process.send?.(message);

function onMessage(raw: Buffer): void {
  if (!counting) return;
  const at = raw.indexOf(MARK);
  // Only the benchmark's events count: not a reply, nor anything else the server says.
  if (at < 0) return;
  received += 1;
  if (received % sampleEvery !== 0 || sampled >= LATENCY_SAMPLES) return;
  const sentAt = Number.parseFloat(raw.toString('latin1', at + MARK.length, at + MARK.length + 24));
  latencies[sampled] = performance.timeOrigin + performance.now() - sentAt;
  sampled += 1;
}

async function connectAll(command: Extract<SubscriberCommand, { kind: 'connect' }>): Promise<void> {
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
            // qbt-monitor acknowledges, then we subscribe and wait for the reply; the bare server says hello.
            const text = raw.toString();
            if (command.subscribe && text.includes('"type":"connection"')) ws.send(JSON.stringify(command.subscribe));
            else if (!command.subscribe || text.includes('"type":"subscribed"')) {
              ws.off('message', ready);
              ws.on('message', onMessage);
              resolve();
            }
          };
          ws.on('message', ready);
        }),
      );
    }
    await Promise.all(opening);
  }
}

/** One connection's life: open, wait for the server's first message, close, wait for the close handshake. */
function openGreetClose(url: string, headers: Record<string, string>, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { ...headers, 'X-Client-ID': `churn-${n}` } });
    ws.once('error', reject);
    ws.once('message', () => ws.close());
    ws.once('close', () => resolve());
  });
}

async function churn(command: Extract<SubscriberCommand, { kind: 'churn' }>): Promise<number> {
  const until = performance.now() + command.seconds * 1000;
  let completed = 0;
  const loop = async () => {
    while (performance.now() < until) {
      await openGreetClose(command.url, command.headers, completed);
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, loop));
  return completed;
}

const progress = setInterval(() => report({ kind: 'progress', received }), 5);
const failed = (error: unknown) => report({ kind: 'failed', error: String(error) });

process.on('message', (command: SubscriberCommand) => {
  switch (command.kind) {
    case 'connect':
      connectAll(command).then(() => report({ kind: 'ready' }), failed);
      break;
    case 'start':
      received = 0;
      sampled = 0;
      counting = true;
      break;
    case 'finish': {
      counting = false;
      report({ kind: 'result', received, latencies: [...latencies.subarray(0, sampled)] });
      break;
    }
    case 'churn':
      churn(command).then((completed) => report({ kind: 'churned', completed }), failed);
      break;
  }
});
process.on('disconnect', () => {
  clearInterval(progress);
  for (const ws of sockets) ws.terminate();
});
