/** GET /api/v1/status: each component's status as it is now, which events carry only when something else changes (the clipboard's last check). */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ComponentStatusReply } from '../../protocol/index.js';
import type { KeyRing } from '../api-keys.js';
import { KeyInQuery, requireRole } from './auth.js';

export function registerStatusRoute(
  http: FastifyInstance,
  deps: { keys: () => KeyRing; statuses: () => ComponentStatusReply['components']; node?: string | undefined },
): void {
  const route = { onRequest: requireRole(deps.keys, 'read'), schema: { querystring: Type.Object(KeyInQuery) } };
  http.get('/api/v1/status', route, async () => {
    const reply: ComponentStatusReply = { components: deps.statuses(), ...(deps.node !== undefined && { node: deps.node }) };
    return reply;
  });
}
