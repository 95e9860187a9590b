/**
 * REST authentication: `Authorization: Bearer <key>` (or `?token=`), and the role a route needs. It runs
 * on `onRequest`, before the body is read or anything is validated: a caller without a key learns only
 * that (401), a read key on an admin route only that (403).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { ErrorCode } from '../../protocol/index.js';
import type { Identity, KeyRing, Role } from '../api-keys.js';
import { ignoredAuthorizationHint, readCredentials } from '../credentials.js';
import { sendError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated key's name and role, set by `requireRole` once the key may use the route. */
    identity?: Identity;
  }
}

/** The `?token=` every authenticated route takes, for its querystring schema. */
export const KeyInQuery = {
  token: Type.Optional(Type.String({ description: 'The API key, for clients that cannot send `Authorization: Bearer <key>`.' })),
};

/** An onRequest hook admitting requests whose key has `role` (an admin key may do what a read key may). */
export function requireRole(keys: () => KeyRing, role: Role): onRequestAsyncHookHandler {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply) {
    const credentials = readCredentials(request.headers.authorization, (request.query as Record<string, unknown> | undefined)?.token);
    const identity = credentials.token === undefined ? undefined : keys().verify(credentials.token);
    if (!identity) {
      const reason = credentials.token === undefined ? 'send Authorization: Bearer <API key>' : 'invalid API key';
      // The connection ends with the refusal: a body announced is not waited for.
      reply.header('connection', 'close');
      return sendError(reply, 401, ErrorCode.AUTH_FAILED, `authentication failed: ${reason}${ignoredAuthorizationHint(credentials)}`);
    }
    if (role === 'admin' && identity.role !== 'admin') return sendError(reply, 403, ErrorCode.FORBIDDEN, 'this needs an admin key');
    request.identity = identity;
  };
}

/** Whether the call was served to a key: authenticated, allowed by its role and within the rate limits. Only these are measured. */
export function servedToKey(request: FastifyRequest, reply: FastifyReply): boolean {
  return request.identity !== undefined && reply.statusCode !== 429;
}
