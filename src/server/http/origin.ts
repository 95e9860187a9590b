/** Browser requests over HTTP (REST, dashboard, health) pass the same Origin and Host check as the WebSocket upgrade; refused: 403 ORIGIN_NOT_ALLOWED. */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/schema.js';
import { ErrorCode } from '../../protocol/index.js';
import { checkBrowserRequest } from '../browser-origin.js';
import { sendError } from './errors.js';

export function registerBrowserCheck(http: FastifyInstance, config: () => Config): void {
  http.addHook('onRequest', async (request, reply) => {
    const { auth, server } = config();
    const verdict = checkBrowserRequest(request.headers, { allowedOrigins: auth.allowed_origins, listenHost: server.host });
    if (!verdict.ok) return sendError(reply.header('connection', 'close'), 403, ErrorCode.ORIGIN_NOT_ALLOWED, verdict.reason);
  });
}
