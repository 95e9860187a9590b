/** GET /metrics: the Prometheus exposition (any API key: scrape with `authorization: { credentials: <key> }`). */
import type { FastifyInstance } from 'fastify';
import type { PrometheusExporter } from '../prometheus.js';
import type { KeyRing } from '../api-keys.js';
import { requireRole } from './auth.js';

export function registerPrometheusRoute(http: FastifyInstance, deps: { keys: () => KeyRing; exporter: PrometheusExporter }): void {
  http.get('/metrics', { preHandler: requireRole(deps.keys, 'read') }, async (_request, reply) =>
    reply.type(deps.exporter.contentType).send(await deps.exporter.render()),
  );
}
