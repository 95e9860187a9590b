/**
 * Coalesced socket writes (docs/performance.md): the frames due to one socket in one turn of the event
 * loop leave in one system call. A socket is corked at its first frame of the turn, and every socket
 * corked is uncorked once the code running now and its microtasks are done (`process.nextTick`): a
 * lone frame leaves as soon as the code that sent it returns, several leave together, in order.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/** Writers corked in this turn, uncorked together; the other array is the spare the next turn fills. */
let corked: FrameWriter[] = [];
let spare: FrameWriter[] = [];

function uncorkAll(): void {
  const batch = corked;
  corked = spare;
  for (const writer of batch) writer.flush();
  batch.length = 0;
  spare = batch;
}

/** Frames larger than this go as a header and the payload, uncopied; smaller ones are framed once and shared. */
const SHARED_FRAME_MAX_BYTES = 64 * 1024;
/** The payload framed last and its frame: a fan-out hands the same payload to every socket in a row. */
let lastPayload: Buffer | undefined;
let lastFrame: Buffer | undefined;

/** The header of an unmasked, final text frame of `length` bytes (RFC 6455, section 5.2). */
function textFrameHeader(length: number): Buffer {
  const extra = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.allocUnsafe(2 + extra);
  header[0] = 0x81;
  header[1] = extra === 0 ? length : extra === 2 ? 126 : 127;
  if (extra === 2) header.writeUInt16BE(length, 2);
  else if (extra === 8) header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}

/**
 * Writes complete text frames straight to a WebSocket's TCP socket, coalesced per turn. Framing here
 * rather than in `ws` lets one frame serve every socket of a fan-out; it is what `ws` would write, as
 * the server negotiates no extension (no compression). Every byte still counts in `ws.bufferedAmount`.
 */
export class FrameWriter {
  readonly #socket: Socket;
  /** Bytes written since the socket was corked. */
  #pending = 0;
  #corked = false;

  constructor(ws: WebSocket) {
    // `ws` leaves cork() and uncork() to its users through the socket (websockets/ws#1999).
    this.#socket = (ws as unknown as { _socket: Socket })._socket;
  }

  /** Bytes waiting for the end of the turn. */
  get pending(): number {
    return this.#pending;
  }

  /** Writes the text frame carrying `payload`; the socket must be open. `flushed` is called once the frame has reached the kernel. */
  write(payload: Buffer, flushed?: () => void): void {
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      if (corked.push(this) === 1) process.nextTick(uncorkAll);
    }
    if (payload.length > SHARED_FRAME_MAX_BYTES) {
      this.#socket.write(textFrameHeader(payload.length));
      this.#socket.write(payload, flushed);
    } else {
      if (payload !== lastPayload) {
        lastFrame = Buffer.concat([textFrameHeader(payload.length), payload]);
        lastPayload = payload;
      }
      this.#socket.write(lastFrame!, flushed);
    }
    this.#pending += payload.length;
  }

  /** Hands what this turn wrote to the kernel now. */
  flush(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#pending = 0;
    this.#socket.uncork();
  }
}
