/**
 * The other side of the torrents benchmark, in its own process so that its CPU is not counted as the
 * server's: a stand-in qBittorrent replaying the sequence (sync/maindata by rid for qbt-monitor,
 * torrents/info step by step for the naive server) and one WebSocket client counting the bytes it receives.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { torrentsSequence } from './torrents-sequence.js';

export type PeerRequest =
  | { type: 'start'; count: number; steps: number }
  | { type: 'connect'; url: string; headers: Record<string, string> }
  | { type: 'counts' }
  /**
   * Answers `counts` once `served` answers were served and `messages` messages received (one per
   * answer: every step changes something), so that the last answer's message is counted too. No
   * polling: the server's process stays quiet.
   */
  | { type: 'await'; served: number; messages: number }
  | { type: 'stop' };

export interface PeerCounts {
  /** Sequence answers served: maindata for qbt-monitor, torrents/info for the naive server. */
  served: number;
  /** Bytes and messages the client received since it connected, its first message (the table) left out. */
  bytes: number;
  messages: number;
  /** Size of that first message. */
  firstBytes: number;
}

let served = 0;
let counts = { bytes: 0, messages: 0, firstBytes: -1 };
let client: WebSocket | undefined;
let awaiting: { served: number; messages: number } | undefined;

function check(): void {
  if (awaiting === undefined || served < awaiting.served || counts.messages < awaiting.messages) return;
  awaiting = undefined;
  reply({ type: 'counts', served, ...counts });
}

function countServed(next: number): void {
  served = next;
  check();
}
let server: ReturnType<typeof createServer> | undefined;

function reply(message: object): void {
  process.send!(message);
}

process.on('message', async (request: PeerRequest) => {
  switch (request.type) {
    case 'start': {
      const sequence = torrentsSequence(request.count, request.steps);
      served = 0;
      server = createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const send = (body: string, type = 'text/plain') => {
          res.writeHead(200, { 'Content-Type': type, ...(url.pathname.endsWith('/login') && { 'Set-Cookie': 'SID=bench; path=/' }) });
          res.end(body);
        };
        req.resume();
        switch (url.pathname) {
          case '/api/v2/auth/login':
            return send('Ok.');
          case '/api/v2/app/version':
            return send('v4.5.2');
          case '/api/v2/app/webapiVersion':
            return send('2.8.19');
          case '/api/v2/sync/maindata': {
            const rid = Number(url.searchParams.get('rid') ?? 0);
            if (rid <= sequence.steps) countServed(Math.max(served, rid + 1));
            return send(rid <= sequence.steps ? sequence.maindata(rid) : JSON.stringify({ rid: rid + 1 }), 'application/json');
          }
          case '/api/v2/torrents/info':
            countServed(served + 1);
            return send(sequence.torrentsInfo(served - 1), 'application/json');
          default:
            res.writeHead(404).end();
        }
      });
      server.listen(0, '127.0.0.1', () => reply({ type: 'ready', url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}` }));
      return;
    }
    case 'connect':
      counts = { bytes: 0, messages: 0, firstBytes: -1 };
      client = new WebSocket(request.url, { headers: request.headers, perMessageDeflate: false });
      client.on('message', (data: Buffer) => {
        if (counts.firstBytes < 0) {
          // The acknowledgement is not the table: the qbt-monitor client's table comes right after it.
          if (data.toString('utf8', 0, 40).includes('"type":"connection"')) return;
          counts.firstBytes = data.length;
          reply({ type: 'connected' });
          return;
        }
        counts.bytes += data.length;
        counts.messages += 1;
        check();
      });
      return;
    case 'counts':
      reply({ type: 'counts', served, ...counts } satisfies PeerCounts & { type: string });
      return;
    case 'await':
      awaiting = { served: request.served, messages: request.messages };
      check();
      return;
    case 'stop':
      client?.close();
      server?.close();
      reply({ type: 'stopped' });
      process.disconnect();
      return;
    default:
  }
});
