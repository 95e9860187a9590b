/** The current state a new client is sent on connect: latest system sample, component statuses, active alerts. */
import { EventName } from '../protocol/index.js';
import type { HubEvent } from './event.js';

export class StateCache {
  #latestSample: HubEvent | undefined;
  readonly #statuses = new Map<string, HubEvent>();
  readonly #activeAlerts = new Map<string, HubEvent>();

  record(event: HubEvent): void {
    switch (event.type) {
      case 'performance':
        if (event.name === EventName.performanceSystem) this.#latestSample = event;
        return;
      case 'status':
        this.#statuses.set(event.name, event);
        return;
      case 'alert': {
        const alertId = String(event.data.alert_id);
        if (event.data.status === 'active') this.#activeAlerts.set(alertId, event);
        else this.#activeAlerts.delete(alertId);
        return;
      }
      default:
    }
  }

  /** The state as events, oldest kind first: sample, statuses, alerts. */
  events(): HubEvent[] {
    return [
      ...(this.#latestSample ? [this.#latestSample] : []),
      ...this.#statuses.values(),
      ...this.#activeAlerts.values(),
    ];
  }
}
