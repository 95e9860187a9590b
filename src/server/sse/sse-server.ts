/**
 * The server-sent-events side of the service: opens streams on the hub (the acknowledgement, then
 * the snapshot or the resumption, then live events), counts them, and ends them at shutdown.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from '../../config/logger.js';
import type { Config } from '../../config/schema.js';
import type { Hub } from '../../hub/hub.js';
import type { Subscriptions } from '../../hub/subscriptions.js';
import { type EventType, ServerMessageType } from '../../protocol/index.js';
import type { Identity } from '../api-keys.js';
import { envelope } from '../ws/replies.js';
import { SseStream, type SseStats } from './sse-stream.js';

export const EVENTS_PATH = '/api/v1/events';

export interface SseServerOptions {
  hub: Hub;
  /** Read at each stream, so live config changes apply to new streams. */
  config: () => Config;
  logger: Logger;
  /** This node's id in a cluster, told to clients in the acknowledgement. */
  node?: string;
}

export interface StreamRequest {
  response: ServerResponse;
  clientId: string;
  identity: Identity;
  eventTypes: readonly EventType[];
  /** Already holding the request's patterns and filters. */
  subscriptions: Subscriptions;
  since?: number;
  epoch?: string;
}

export class SseServer {
  readonly stats: SseStats = { sent: 0, conflated: 0, slowConsumerCloses: 0 };
  readonly #streams = new Set<SseStream>();
  readonly #options: SseServerOptions;
  #draining = false;

  constructor(options: SseServerOptions) {
    this.#options = options;
  }

  get streamCount(): number {
    return this.#streams.size;
  }

  get draining(): boolean {
    return this.#draining;
  }

  open({ response, clientId, identity, eventTypes, subscriptions, since, epoch }: StreamRequest): void {
    const { hub, logger } = this.#options;
    const { server } = this.#options.config();
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      // nginx would otherwise hold the stream back in its buffer.
      'x-accel-buffering': 'no',
    });
    const stream = new SseStream({
      response,
      clientId,
      eventTypes,
      subscriptions,
      stats: this.stats,
      limits: {
        sendBufferSoftBytes: server.send_buffer_soft_bytes,
        sendBufferHardBytes: server.send_buffer_hard_bytes,
        keepAliveMs: server.sse_keepalive_ms,
        replayStallMs: server.heartbeat_timeout_ms,
      },
    });
    this.#streams.add(stream);
    hub.add(stream);
    response.once('close', () => {
      hub.remove(stream);
      this.#streams.delete(stream);
      stream.dispose();
    });

    // A `since` ahead of the log is a gap: live delivery starts from now.
    stream.lastSeq = Math.min(since ?? hub.lastSeq, hub.lastSeq);
    const ack = {
      status: 'connected' as const,
      client_id: clientId,
      server_time: new Date().toISOString(),
      role: identity.role,
      endpoint: EVENTS_PATH,
      event_types: [...eventTypes],
      last_seq: hub.lastSeq,
      epoch: hub.epoch,
      heartbeat_interval_ms: server.sse_keepalive_ms,
      ...(this.#options.node === undefined ? {} : { node: this.#options.node }),
    };
    stream.message(ServerMessageType.connection, envelope(ServerMessageType.connection, ack));
    if (since === undefined) {
      hub.sendSnapshot(stream);
      hub.sendTorrentList(stream);
      return;
    }
    // The torrent table is not replayed: a resuming stream starts it again from the list.
    hub.sendTorrentList(stream);
    hub
      .resume(stream, since, { epoch })
      .then((result) => stream.message(ServerMessageType.resumed, envelope(ServerMessageType.resumed, result)))
      .catch((error: unknown) => logger.error({ err: error }, 'resumption failed'));
  }

  /** Refuses new streams from now on. */
  startDraining(): void {
    this.#draining = true;
  }

  /** Ends every stream (after service_stopping has gone down them). */
  closeAll(): void {
    for (const stream of this.#streams) stream.close();
  }
}
