/** A server-sent-events client over a real socket (node:http), parsing records as EventSource does, for tests. */
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import type { Message } from './ws-client.js';
import { withTimeout } from './ws-client.js';

export interface SseRecord {
  event: string;
  id?: string;
  /** The data line parsed as JSON (every record of ours carries an envelope). */
  message: Message;
}

export interface SseClient {
  response: IncomingMessage;
  records: SseRecord[];
  /** Comment lines (`: keep-alive`) seen so far. */
  comments: number;
  /** The next record (from those not yet taken) matching `predicate`, within `timeoutMs`. */
  next(predicate?: (record: SseRecord) => boolean, timeoutMs?: number): Promise<SseRecord>;
  /** Resolves once `count` more comment lines have arrived, within `timeoutMs`. */
  moreComments(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves once the server has ended or cut the stream. */
  ended: Promise<void>;
  /** Stops reading: the server's writes pile up in the socket buffers. */
  pause(): void;
  /** Reads again (what was buffered, then the end if the server cut the stream). */
  resume(): void;
  close(): void;
}

/** Opens the stream; resolves with the client on a 200, rejects with the status and body otherwise. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  let req: ClientRequest | undefined;
  const response = await withTimeout(
    new Promise<IncomingMessage>((resolve, reject) => {
      req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, resolve);
      req.on('error', reject);
      req.end();
    }),
    10_000,
    `no response from ${url}`,
  );
  if (response.statusCode !== 200) {
    let body = '';
    for await (const chunk of response) body += String(chunk);
    throw Object.assign(new Error(`HTTP ${response.statusCode}: ${body}`), { status: response.statusCode, body });
  }
  const records: SseRecord[] = [];
  let taken = 0;
  let comments = 0;
  const waiters = new Set<() => void>();
  let buffer = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          comments += 1;
          continue;
        }
        const colon = line.indexOf(':');
        fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
      }
      if (fields.data !== undefined) {
        records.push({ event: fields.event ?? 'message', id: fields.id, message: JSON.parse(fields.data) as Message });
      }
    }
    for (const wake of waiters) wake();
  });
  const closed = new Promise<void>((resolve) => response.once('close', () => resolve()));
  return {
    response,
    records,
    get comments() {
      return comments;
    },
    next(predicate = () => true, timeoutMs = 5000) {
      return withTimeout(
        new Promise<SseRecord>((resolve) => {
          const check = () => {
            for (; taken < records.length; taken += 1) {
              const record = records[taken]!;
              if (predicate(record)) {
                taken += 1;
                waiters.delete(check);
                resolve(record);
                return;
              }
            }
          };
          waiters.add(check);
          check();
        }),
        timeoutMs,
        'no matching server-sent event',
      );
    },
    moreComments(count, timeoutMs = 5000) {
      const target = comments + count;
      return withTimeout(
        new Promise<void>((resolve) => {
          const check = () => {
            if (comments < target) return;
            waiters.delete(check);
            resolve();
          };
          waiters.add(check);
        }),
        timeoutMs,
        `fewer than ${count} comment lines`,
      );
    },
    // Timed from when a test starts waiting for it: a stream kept open longer than the wait is no failure.
    get ended() {
      return withTimeout(closed, 10_000, 'the stream did not end');
    },
    pause() {
      response.pause();
      response.socket.pause();
    },
    resume() {
      response.socket.resume();
      response.resume();
    },
    close() {
      req?.destroy();
      response.destroy();
    },
  };
}
