/**
 * The current state a new client is sent on connect: each node's latest system sample and component
 * statuses (one node, `undefined`, in one process), every active alert, and the torrent table as the
 * `torrent.updated` deltas clients were sent have made it.
 */
import { type AlertActive, applyTorrentUpdate, dataOf, EventName, type TorrentRow } from '../protocol/index.js';
import type { HubEvent } from './event.js';

export interface ActiveAlert {
  /** Its latest `active` message (first firing or escalation)... */
  event: HubEvent<'alert'>;
  /** ...and that message's data. */
  data: AlertActive;
  /** When its first `active` message was sent, as far as this cache saw. */
  raisedAt: string;
}

export class StateCache {
  readonly #latestSamples = new Map<string | undefined, HubEvent>();
  /** By node and event name: two nodes' `status.qbittorrent_client` are two components. */
  readonly #statuses = new Map<string, HubEvent>();
  readonly #activeAlerts = new Map<string, ActiveAlert>();
  readonly #torrents = new Map<string, TorrentRow>();
  /** `data` of `torrent.list` as JSON, until the table changes. */
  #torrentListJson: string | undefined;

  /** Keeps what a new client needs of the event; every event type says here what of it is state. */
  record(event: HubEvent): void {
    switch (event.type) {
      case 'performance':
        if (event.name === EventName.performanceSystem) this.#latestSamples.set(event.node, event);
        return;
      case 'status':
        this.#statuses.set(JSON.stringify([event.node ?? null, event.name]), event);
        return;
      case 'alert': {
        const { data } = event;
        if (data.status !== 'active') {
          this.#activeAlerts.delete(data.alert_id);
          return;
        }
        const raisedAt = this.#activeAlerts.get(data.alert_id)?.raisedAt ?? event.timestamp;
        this.#activeAlerts.set(data.alert_id, { event, data, raisedAt });
        return;
      }
      // Config changes and system events are news, not state.
      case 'config':
      case 'system':
        return;
      // The lifecycle is news; the table is state, kept from the deltas clients were sent.
      case 'torrent': {
        const update = dataOf(event, EventName.torrentUpdated);
        if (!update) return;
        applyTorrentUpdate(this.#torrents, update);
        this.#torrentListJson = undefined;
        return;
      }
      default: {
        const unhandled: never = event;
        throw new Error(`no connect-time state rule for ${(unhandled as HubEvent).type} events`);
      }
    }
  }

  /** The torrent table (read only: the cache's own rows). */
  torrents(): ReadonlyMap<string, Readonly<TorrentRow>> {
    return this.#torrents;
  }

  /** `data` of `torrent.list`, encoded once per change of the table. */
  torrentListJson(): string {
    this.#torrentListJson ??= JSON.stringify({ torrents: [...this.#torrents.values()] });
    return this.#torrentListJson;
  }

  activeAlert(alertId: string): ActiveAlert | undefined {
    return this.#activeAlerts.get(alertId);
  }

  activeAlerts(): ActiveAlert[] {
    return [...this.#activeAlerts.values()];
  }

  /** The state as events, oldest kind first: samples, statuses, alerts. */
  events(): HubEvent[] {
    const alerts = [...this.#activeAlerts.values()].map(({ event }) => event);
    return [...this.#latestSamples.values(), ...this.#statuses.values(), ...alerts];
  }
}
