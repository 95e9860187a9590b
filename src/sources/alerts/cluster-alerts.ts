/**
 * Alerts as one service across a cluster. Each node owns the alerts its own rules raised (its store,
 * its name in `metadata.host`). Any node lists every node's active alerts, which its hub has seen go
 * by, and resolves or acknowledges any of them: one it does not own by asking the owner over the bus,
 * then waiting for the owner's `alert` event that shows it done. In one process every alert is this
 * node's: the engine answers.
 */
import { randomBytes } from 'node:crypto';
import { type Bus, type ControlMessage, isOwnEvent } from '../../hub/bus.js';
import type { EventData } from '../../hub/event.js';
import type { Hub } from '../../hub/hub.js';
import type { ActiveAlert } from '../../hub/state-cache.js';
import type { AlertActive, AlertResolved } from '../../protocol/index.js';
import type { AlertQuery, AlertRecord } from '../../store/alert-store.js';
import type { AlertEngine } from './engine.js';

/** How long a node waits for the owner of an alert to do what it asked. */
const OWNER_TIMEOUT_MS = 5000;

/** Control messages: the requests to the owner, and the owner's answer when the alert is not active there. */
const RESOLVE = 'resolve_alert';
const ACKNOWLEDGE = 'acknowledge_alert';
const NOT_ACTIVE = 'resolve_alert_not_active';

interface OwnerRequest {
  alert_id: string;
  /** The key's name. */
  by: string;
  /** The resolution or the acknowledgement's comment. */
  text?: string | undefined;
  /** Matches the owner's answer to the request. */
  request: string;
}

/** The node that owns the alert cannot be reached, or did not act in time: the request may be tried again. */
export class AlertOwnerUnavailableError extends Error {
  override readonly name = 'AlertOwnerUnavailableError';
}

export interface ClusterAlerts {
  /** Resolves an active alert of any node for an admin; undefined when no node has an active alert with this id. */
  resolve(alertId: string, resolution: string | undefined, resolvedBy: string): Promise<AlertRecord | undefined>;
  /** Acknowledges an active alert of any node for an admin; undefined when no node has an active alert with this id. */
  acknowledge(alertId: string, comment: string | undefined, by: string): Promise<AlertRecord | undefined>;
  /** This node's stored alerts and, on the first page of a query not limited to resolved ones, the other nodes' active ones; newest first. */
  list(query: AlertQuery): Promise<AlertRecord[]>;
  stop(): void;
}

export function createClusterAlerts(options: {
  engine: AlertEngine;
  hub: Hub;
  bus: Bus;
  timeoutMs?: number;
  onError: (error: unknown) => void;
}): ClusterAlerts {
  const { engine, hub, bus, onError } = options;
  const timeoutMs = options.timeoutMs ?? OWNER_TIMEOUT_MS;

  // The owner's side. What it did answers by its own event, through the log, to every node.
  const stopAnswering = bus.onControl((message) => {
    if (message.name === RESOLVE || message.name === ACKNOWLEDGE) answer(message).catch(onError);
  });

  async function answer({ name, data, from }: ControlMessage): Promise<void> {
    const { alert_id, by, text, request } = data as unknown as OwnerRequest;
    const done = name === RESOLVE ? await engine.resolve(alert_id, text, by) : await engine.acknowledge(alert_id, text, by);
    if (!done) await bus.sendTo(from, { name: NOT_ACTIVE, data: { request } });
  }

  /** Asks the owner of another node's alert to do `name`; resolves with its event that shows it done. */
  async function askOwner(alert: ActiveAlert, name: string, request: Omit<OwnerRequest, 'request'>, done: (data: EventData) => boolean) {
    const owner = alert.event.node;
    const id = randomBytes(8).toString('hex');
    // Listening before asking: the owner's answer may come back before `sendTo` resolves.
    const answered = waitForAnswer(bus, request.alert_id, id, done, timeoutMs);
    try {
      if (!(await bus.sendTo(owner, { name, data: { ...request, request: id } }))) {
        throw new AlertOwnerUnavailableError(`alert "${request.alert_id}" belongs to node "${owner}", which is not reachable now`);
      }
      const outcome = await answered.outcome;
      if (outcome === 'timeout') {
        throw new AlertOwnerUnavailableError(`node "${owner}" did not act on alert "${request.alert_id}" within ${timeoutMs} ms`);
      }
      return outcome === 'not_active' ? undefined : outcome;
    } finally {
      answered.stop();
    }
  }

  /** Another node's active alert with this id, if the hub has seen one. */
  function othersAlert(alertId: string): ActiveAlert | undefined {
    const alert = hub.activeAlert(alertId);
    return alert && !isOwnEvent(bus, alert.event) ? alert : undefined;
  }

  return {
    async resolve(alertId, resolution, resolvedBy) {
      const own = await engine.resolve(alertId, resolution, resolvedBy);
      if (own) return own;
      const alert = othersAlert(alertId);
      if (!alert) return undefined;
      const resolved = await askOwner(
        alert,
        RESOLVE,
        { alert_id: alertId, by: resolvedBy, text: resolution },
        (data) => data.status === 'resolved',
      );
      return resolved && resolvedRecord(alert, resolved as unknown as AlertResolved);
    },
    async acknowledge(alertId, comment, by) {
      const own = await engine.acknowledge(alertId, comment, by);
      if (own) return own;
      const alert = othersAlert(alertId);
      if (!alert) return undefined;
      const acknowledged = await askOwner(
        alert,
        ACKNOWLEDGE,
        { alert_id: alertId, by, text: comment },
        (data) => data.status === 'active' && data.acknowledged_by === by,
      );
      return acknowledged && { ...activeRecord(alert), ...pickAcknowledgement(acknowledged) };
    },
    async list(query) {
      const own = await engine.list(query);
      // Resolved alerts are listed by the node that owned them; the event log has every resolution.
      if (query.status === 'resolved' || query.before !== undefined) return own;
      const others = hub
        .activeAlerts()
        .filter((alert) => !isOwnEvent(bus, alert.event))
        .map(activeRecord)
        .filter(
          (record) =>
            (query.type === undefined || record.type === query.type) &&
            (query.level === undefined || record.level === query.level) &&
            (query.since === undefined || record.updated_at >= query.since),
        );
      if (others.length === 0) return own;
      return [...own, ...others].sort((a, b) => b.updated_at.localeCompare(a.updated_at)).slice(0, query.limit);
    },
    stop: stopAnswering,
  };
}

type Outcome = EventData | 'not_active' | 'timeout';

/** Waits for the owner's event of the alert that `done` accepts, its "not active here", or the timeout, whichever comes first. */
function waitForAnswer(
  bus: Bus,
  alertId: string,
  request: string,
  done: (data: EventData) => boolean,
  timeoutMs: number,
): { outcome: Promise<Outcome>; stop(): void } {
  let stop = () => {};
  const outcome = new Promise<Outcome>((settle) => {
    const stopEvents = bus.subscribe((event) => {
      if (event.type === 'alert' && event.data.alert_id === alertId && done(event.data)) settle(event.data);
    });
    const stopControl = bus.onControl(({ name, data }) => {
      if (name === NOT_ACTIVE && data.request === request) settle('not_active');
    });
    const timer = setTimeout(() => settle('timeout'), timeoutMs);
    stop = () => {
      stopEvents();
      stopControl();
      clearTimeout(timer);
    };
  });
  return { outcome, stop };
}

/** An alert of another node, as `GET /api/v1/alerts` lists the stored ones: its latest active message and when. */
function activeRecord({ event, data, raisedAt }: ActiveAlert): AlertRecord {
  const { alert_id, type, level, title, message, value, threshold, metadata } = data;
  return {
    alert_id,
    type,
    subject: typeof metadata?.subject === 'string' ? metadata.subject : '',
    level,
    status: 'active',
    title,
    message,
    value,
    threshold,
    metadata,
    raised_at: raisedAt,
    updated_at: event.timestamp,
    ...pickAcknowledgement(event.data),
  };
}

function pickAcknowledgement(data: EventData): Partial<AlertRecord> {
  const { acknowledged_by, acknowledged_at, acknowledgement } = data as Partial<AlertActive>;
  return acknowledged_by === undefined ? {} : { acknowledged_by, acknowledged_at, acknowledgement };
}

function resolvedRecord(alert: ActiveAlert, { level, resolved_at, resolution, resolved_by }: AlertResolved): AlertRecord {
  return { ...activeRecord(alert), level, status: 'resolved', resolved_at, resolution, resolved_by };
}
