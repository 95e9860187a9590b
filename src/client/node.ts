/** The SDK's Node entry: the same client with the `ws` package as its WebSocket (Node 20 has none built in) and the key sent as a header. */
import WebSocket from 'ws';
import { QbtMonitorClient as UniversalClient } from './client.js';
import type { ClientOptions } from './options.js';

export * from './index.js';

/** QbtMonitorClient on `ws`; the key goes as `Authorization: Bearer` unless `auth` says otherwise. */
export class QbtMonitorClient extends UniversalClient {
  constructor(options: ClientOptions) {
    super({ ...options, WebSocket: options.WebSocket ?? WebSocket, auth: options.auth ?? 'header' });
  }
}
