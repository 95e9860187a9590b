/** Builds the AsyncAPI 3 document of the WebSocket API from the protocol's own schemas (docs/asyncapi.yaml). */
import type { TSchema } from '@sinclair/typebox';
import { ClientDataSchemas } from './client-messages.js';
import { ENDPOINTS } from './events.js';
import { MAX_MESSAGE_ID_LENGTH } from './limits.js';
import { ClientMessageType } from './message-types.js';
import { envelopeSchema, SERVER_MESSAGES } from './server-messages.js';

/** Server messages every endpoint sends whatever its event types. */
const ALWAYS = ['connectionAck', 'connectionError', 'error', 'pong', 'subscribed', 'unsubscribed', 'data', 'resumed', 'ack'];

const channelName = (path: string) => (path === '/ws' ? 'all' : path.slice('/ws/'.length));

/** A plain JSON Schema object (TypeBox's symbol keys dropped). */
function plain(schema: TSchema): unknown {
  return JSON.parse(JSON.stringify(schema));
}

function clientEnvelope(type: string, data: TSchema): unknown {
  return {
    type: 'object',
    required: type === ClientMessageType.ping ? ['type'] : ['type', 'data'],
    properties: { type: { const: type, type: 'string' }, id: { type: 'string', maxLength: MAX_MESSAGE_ID_LENGTH }, data: plain(data) },
  };
}

export function buildAsyncApi(version: string): object {
  const messages: Record<string, object> = {};
  for (const [name, { type, data }] of Object.entries(SERVER_MESSAGES)) {
    messages[name] = { name, title: `${type}${name === type ? '' : ` (${name})`}`, payload: plain(envelopeSchema(type, data)) };
  }
  for (const [type, data] of Object.entries(ClientDataSchemas)) {
    messages[`client_${type}`] = { name: `client_${type}`, title: `client ${type}`, payload: clientEnvelope(type, data) };
  }

  const channels: Record<string, object> = {};
  const operations: Record<string, object> = {};
  for (const [path, types] of Object.entries(ENDPOINTS)) {
    const channel = channelName(path);
    const serverNames = Object.entries(SERVER_MESSAGES)
      .filter(([name, { type }]) => ALWAYS.includes(name) || (types as readonly string[]).includes(type))
      .map(([name]) => name);
    const clientNames = Object.keys(ClientDataSchemas).map((type) => `client_${type}`);
    channels[channel] = {
      address: path,
      title: `WebSocket ${path}`,
      messages: Object.fromEntries([...serverNames, ...clientNames].map((name) => [name, { $ref: `#/components/messages/${name}` }])),
    };
    const refs = (names: string[]) => names.map((name) => ({ $ref: `#/channels/${channel}/messages/${name}` }));
    operations[`${channel}_send`] = { action: 'send', channel: { $ref: `#/channels/${channel}` }, messages: refs(serverNames) };
    operations[`${channel}_receive`] = { action: 'receive', channel: { $ref: `#/channels/${channel}` }, messages: refs(clientNames) };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'qbt-monitor WebSocket API',
      version,
      description:
        "Real-time performance, alerts, component status, config changes, system events and qBittorrent's torrents. " +
        'Generated from src/protocol by `npm run asyncapi`; docs/protocol.md explains the semantics.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:8080',
        protocol: 'ws',
        description: 'Authenticate with `Authorization: Bearer <key>`, `?token=<key>`, or a first `auth` message.',
      },
    },
    channels,
    operations,
    components: { messages },
  };
}
