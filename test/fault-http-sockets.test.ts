/** Fault suite: HTTP sockets without a key hold nothing for long (silent, half a request, a refused body), and max_connections counts WebSocket and SSE together. */
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CloseCode, ErrorCode } from '../src/protocol/index.js';
import { READ_KEY, startServer, type TestServer } from './support/server.js';
import { openSse } from './support/sse-client.js';
import { loose } from './support/loose.js';
import { waitUntil } from './support/wait.js';
import { connect, connectAuthed, withTimeout } from './support/ws-client.js';

const AUTH_TIMEOUT_MS = 1000;

/** A raw TCP socket that writes `request` (if any), and what it read until the server closed it, with how long that took. */
async function rawSocket(
  server: TestServer,
  request?: string,
): Promise<{ socket: Socket; closed: Promise<{ afterMs: number; text: string }> }> {
  const socket = tcpConnect(server.port, '127.0.0.1');
  socket.on('error', () => undefined);
  let text = '';
  socket.on('data', (chunk) => {
    text += chunk.toString('latin1');
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const started = Date.now();
  if (request !== undefined) socket.write(request);
  const closed = new Promise<{ afterMs: number; text: string }>((resolve) =>
    socket.once('close', () => resolve({ afterMs: Date.now() - started, text })),
  );
  return { socket, closed };
}

describe('fault: HTTP sockets without a key', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ auth: { timeout_ms: AUTH_TIMEOUT_MS }, limits: { max_connections: 3 } });
  });
  after(() => server.stop());

  test('a socket that sends nothing, or half a request head, is closed within auth.timeout_ms and two seconds', async (t) => {
    const silent = await rawSocket(server);
    const half = await rawSocket(server, 'GET /api/v1/alerts HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    t.after(() => {
      silent.socket.destroy();
      half.socket.destroy();
    });
    // Node's default would hold both for 60 to 90 s.
    const [quiet, partial] = await withTimeout(Promise.all([silent.closed, half.closed]), 10_000, 'the silent sockets were not closed');
    // auth.timeout_ms and a second of grace, checked every second.
    for (const { afterMs } of [quiet, partial]) assert.ok(afterMs <= AUTH_TIMEOUT_MS + 2500, `closed after ${afterMs} ms`);
    assert.match(partial.text, /^HTTP\/1\.1 408 /);
  });

  test('a request refused for its key is answered 401 and the connection closed, its announced body never read', async (t) => {
    const post = await rawSocket(
      server,
      'POST /api/v1/torrents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"urls":',
    );
    t.after(() => post.socket.destroy());
    // Before: the 401 came at once, then the socket was held for the rest of the body for keepAliveTimeout (72 s).
    const { afterMs, text } = await withTimeout(post.closed, 10_000, 'the refused socket was not closed');
    assert.match(text, /^HTTP\/1\.1 401 /);
    assert.match(text, /\r\nconnection: close\r\n/i);
    assert.ok(afterMs <= AUTH_TIMEOUT_MS + 1500, `closed after ${afterMs} ms`);
  });

  test('an open WebSocket session and an SSE stream outlive the request timeouts', async (t) => {
    const { client } = await connectAuthed(server.wsUrl('/ws'), READ_KEY);
    const stream = await openSse(`${server.url}/api/v1/events?types=system`, { authorization: `Bearer ${READ_KEY}` });
    t.after(() => {
      client.close();
      stream.close();
    });
    await stream.next((r) => r.event === 'connection');
    const marker = `outlive-${Date.now()}`;
    // Past the time a request head gets, and a connection check after it.
    await new Promise((resolve) => setTimeout(resolve, AUTH_TIMEOUT_MS + 3000));
    server.app.publish('system.test_sentinel', loose({ event: 'test_sentinel', marker }));
    await client.next((m) => m.data?.marker === marker);
    await stream.next((r) => r.message.data?.marker === marker);
    client.close();
    stream.close();
    // The next test counts connections from none.
    await waitUntil(() => server.app.ws.sessionCount + server.app.sse.streamCount === 0, 5000, 'both closed on the server');
  });

  test('limits.max_connections counts SSE streams and WebSocket sessions together', async (t) => {
    const streams = await Promise.all(
      [1, 2, 3].map(() => openSse(`${server.url}/api/v1/events?types=system`, { authorization: `Bearer ${READ_KEY}` })),
    );
    t.after(() => {
      for (const stream of streams) stream.close();
    });
    await Promise.all(streams.map((stream) => stream.next((r) => r.event === 'connection')));
    const refused = await connect(server.wsUrl('/ws'), { token: READ_KEY });
    t.after(() => refused.ws.terminate());
    const reply = await refused.next();
    assert.deepEqual([reply.type, reply.data?.code], ['error', ErrorCode.CONNECTION_FAILED], JSON.stringify(reply));
    assert.equal((await refused.waitClosed()).code, CloseCode.TRY_AGAIN_LATER);
  });
});
