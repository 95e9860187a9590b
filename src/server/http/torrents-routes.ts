/** POST /api/v1/torrents (admin): add magnet links or .torrent URLs by hand, counted like copied ones. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ErrorCode } from '../../protocol/index.js';
import type { ClipboardMonitor } from '../../sources/clipboard/monitor.js';
import type { KeyRing } from '../api-keys.js';
import { KeyInQuery, requireRole } from './auth.js';
import { sendError } from './errors.js';

const Body = Type.Union([
  Type.Object(
    { urls: Type.Array(Type.String({ minLength: 1, maxLength: 65536 }), { minItems: 1, maxItems: 100 }) },
    { additionalProperties: false },
  ),
  Type.Object({ text: Type.String({ minLength: 1, maxLength: 1_048_576 }) }, { additionalProperties: false }),
]);

export function registerTorrentRoutes(app: FastifyInstance, deps: { keys: () => KeyRing; clipboard: ClipboardMonitor }): void {
  app.post<{ Body: { urls: string[] } | { text: string } }>(
    '/api/v1/torrents',
    { onRequest: requireRole(deps.keys, 'admin'), schema: { querystring: Type.Object(KeyInQuery), body: Body } },
    async (request, reply) => {
      const text = 'urls' in request.body ? request.body.urls.join('\n') : request.body.text;
      const result = await deps.clipboard.submit(text, 'api');
      if (result.added.length + result.duplicates.length + result.failed.length + result.skipped.length === 0) {
        return sendError(reply, 400, ErrorCode.INVALID_MESSAGE, 'no magnet link or .torrent URL found');
      }
      return result;
    },
  );
}
