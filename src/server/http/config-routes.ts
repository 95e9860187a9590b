/**
 * GET /api/v1/config (secrets masked) and PATCH /api/v1/config (admin): a JSON merge patch of the
 * config file. A PATCH is validated, written to the file (atomically), its `config.updated` recorded,
 * and only then applied live: when the file cannot be written or the event not recorded, the caller
 * is told why and nothing changed.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { type ConfigFile, ConfigFileError, ConfigWriteError } from '../../config/config-file.js';
import { type LiveConfig, MASK, maskedConfig } from '../../config/live-config.js';
import { unmaskTargets } from '../../config/target-url.js';
import type { PublishDurable } from '../../hub/bus.js';
import { ErrorCode, EventName } from '../../protocol/index.js';
import { NotRecordedError } from '../../store/store-health.js';
import type { KeyRing } from '../api-keys.js';
import { KeyInQuery, requireRole } from './auth.js';
import { sendError } from './errors.js';

export interface ConfigRoutesDeps {
  live: LiveConfig;
  keys: () => KeyRing;
  file: ConfigFile;
  /** Publishes the `config.updated` of a change; resolves once it is recorded, rejects when it cannot be (bus.publishDurable). */
  record: PublishDurable;
  requestRestart: () => void;
}

const PatchBody = Type.Record(Type.String(), Type.Unknown(), { description: 'A JSON merge patch (RFC 7396) of the config file.' });
const GetQuery = Type.Object(KeyInQuery);
const PatchQuery = Type.Object({
  ...KeyInQuery,
  restart: Type.Optional(
    Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'Restart if a changed field needs it.' }),
  ),
});
type PatchRequest = { Querystring: Static<typeof PatchQuery>; Body: Static<typeof PatchBody> };

export function registerConfigRoutes(app: FastifyInstance, deps: ConfigRoutesDeps): void {
  const { live, keys, file } = deps;

  app.get('/api/v1/config', { onRequest: requireRole(keys, 'read'), schema: { querystring: GetQuery } }, async () => ({
    config: maskedConfig(live.current),
    path: file.path,
  }));

  const patchRoute = { onRequest: requireRole(keys, 'admin'), schema: { body: PatchBody, querystring: PatchQuery } };
  app.patch<PatchRequest>('/api/v1/config', patchRoute, (request, reply) =>
    // One change at a time: the file read, written and applied here is not edited by another meanwhile.
    live.serialize(async () => {
      const patch = request.body;
      const updatedBy = request.identity?.name ?? 'api';
      let onDisk: string | undefined;
      let base: unknown;
      try {
        onDisk = file.readText();
        // Without a file, the running config's own file value is the base: a patch changes what it names and nothing else.
        base = onDisk === undefined ? live.source : file.parse(onDisk);
      } catch (error) {
        if (!(error instanceof ConfigFileError)) throw error;
        return sendError(reply, 409, ErrorCode.CONFIG_FILE_INVALID, `${error.message}: fix or remove the file, then send the change again`);
      }
      if (!isObject(base)) {
        return sendError(
          reply,
          409,
          ErrorCode.CONFIG_FILE_INVALID,
          `${file.path}: must hold a JSON object: fix or remove the file, then send the change again`,
        );
      }
      const merged = mergePatch(base, patch);
      restoreMaskedTargets(merged, base);
      const change = live.check(merged, 'PATCH /api/v1/config');
      if (!change.ok) {
        live.reject(change.reason, updatedBy);
        return sendError(reply, 400, ErrorCode.INVALID_MESSAGE, change.reason);
      }
      const text = `${JSON.stringify(merged, null, 2)}\n`;
      let written: { keep(): void; undo(): void } | undefined;
      try {
        if (text !== onDisk) written = file.replace(text);
      } catch (error) {
        if (!(error instanceof ConfigWriteError)) throw error;
        request.log.warn({ path: error.path, problem: error.problem }, 'PATCH /api/v1/config: config file not written; nothing changed');
        return sendError(reply, error.outOfSpace ? 507 : 500, ErrorCode.UNAVAILABLE, `${error.message}: nothing changed`);
      }
      const putInForce = () => {
        written?.keep();
        live.commit(change);
      };
      if (change.fields.length === 0) {
        putInForce();
      } else {
        try {
          // Applied once recorded and before anyone receives the event: no one hears of a change not yet made.
          await deps.record(EventName.configUpdated, live.announcement(change, updatedBy), putInForce);
        } catch (error) {
          try {
            written?.undo();
          } catch (err) {
            request.log.error({ err }, 'PATCH /api/v1/config: the config file could not be restored');
          }
          const refused = new NotRecordedError('the change', error);
          request.log.warn({ err: error }, 'PATCH /api/v1/config: config.updated not recorded; file restored, nothing changed');
          return sendError(reply, 503, ErrorCode.UNAVAILABLE, refused.message);
        }
      }
      const restarting = request.query.restart === 'true' && change.restartRequired.length > 0;
      if (restarting) reply.raw.once('finish', () => deps.requestRestart());
      return { fields: change.fields, restart_required: change.restartRequired, restarting };
    }),
  );
}

/** RFC 7396 merge patch; a masked secret sent back unchanged keeps the stored value. */
export function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const result = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (value === MASK) continue;
    else if (isObject(value)) result[key] = mergePatch(isObject(result[key]) ? result[key] : {}, value);
    else result[key] = value;
  }
  return result;
}

/** Notification targets are a list, replaced whole by a merge patch: their masked URLs and secrets are taken back from the file. */
function restoreMaskedTargets(merged: Record<string, unknown>, file: Record<string, unknown>): void {
  const { notifications } = merged;
  const before = file.notifications;
  if (!isObject(notifications) || !isObject(before)) return;
  merged.notifications = { ...notifications, targets: unmaskTargets(notifications.targets, before.targets) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
