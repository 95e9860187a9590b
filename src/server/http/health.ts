/**
 * GET /healthz: liveness and the figures an operator checks first. No key needed; nothing secret in it.
 * `degraded` (still HTTP 200: the service answers) when the store cannot write or, in a cluster, Redis is away.
 */
import type { FastifyInstance } from 'fastify';
import type { Hub } from '../../hub/hub.js';
import type { ClusterHealth } from '../../hub/redis/redis-bus.js';
import type { NotificationsHealth } from '../../notify/notifier.js';
import type { StoreHealth } from '../../store/store-health.js';
import type { SseServer } from '../sse/sse-server.js';
import type { WsServer } from '../ws/ws-server.js';

export interface HealthDeps {
  hub: Hub;
  ws: WsServer;
  sse: SseServer;
  startedAt: number;
  /** In cluster mode: the node's link to Redis. A node without Redis still serves its clients: `degraded`, still HTTP 200. */
  cluster?: () => ClusterHealth;
  /** Notification targets: present when some are configured; a position the data directory refuses degrades the service. */
  notifications?: () => NotificationsHealth;
  /** Whether the database and the data directory take writes. */
  store: StoreHealth;
}

export function registerHealth(app: FastifyInstance, deps: HealthDeps): void {
  app.get('/healthz', async () => {
    const cluster = deps.cluster?.();
    const notifications = deps.notifications?.();
    const problems = deps.store.problems;
    const degraded = cluster?.state === 'degraded' || (notifications?.positions_unwritten.length ?? 0) > 0 || problems.length > 0;
    return {
      status: degraded ? 'degraded' : 'ok',
      uptime_seconds: Math.round((Date.now() - deps.startedAt) / 1000),
      connections: deps.ws.sessionCount,
      // Beside `connections` (WebSocket sessions): the two together are what `limits.max_connections` counts.
      sse_streams: deps.sse.streamCount,
      last_seq: deps.hub.lastSeq,
      store: problems.length === 0 ? { writable: true } : { writable: false, problems },
      ...(cluster ? { cluster } : {}),
      ...(notifications && notifications.targets > 0 ? { notifications } : {}),
    };
  });
}
