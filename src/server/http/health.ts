/** GET /healthz: liveness and the figures an operator checks first. No key needed; nothing secret in it. */
import type { FastifyInstance } from 'fastify';
import type { Hub } from '../../hub/hub.js';
import type { WsServer } from '../ws/ws-server.js';

export function registerHealth(app: FastifyInstance, deps: { hub: Hub; ws: WsServer; startedAt: number }): void {
  app.get('/healthz', async () => ({
    status: 'ok',
    uptime_seconds: Math.round((Date.now() - deps.startedAt) / 1000),
    connections: deps.ws.sessionCount,
    last_seq: deps.hub.lastSeq,
  }));
}
