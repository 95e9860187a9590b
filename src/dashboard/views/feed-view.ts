/** The activity feed, newest first: config changes (each field old → new, and by whom) and service events (start, restart, stopping). */
import type { ConfigRejected, ConfigUpdated, EventTypeData, ServiceRestart, ServiceStart, ServiceStopping } from '../../client/index.js';
import { byId, fadeIn, h, setText } from '../dom.js';
import { clockTime, configValue, dateTime, duration, humanize } from '../format.js';
import { language, t } from '../i18n.js';
import type { DashboardStore, FeedEntry } from '../store.js';

type SystemData = EventTypeData['system'];

export class FeedView {
  readonly #store: DashboardStore;
  readonly #list = byId('activity-feed');
  readonly #empty = byId('no-activity');
  readonly #note = byId('feed-note');
  readonly #items = new Map<string, HTMLLIElement>();
  /** The language the items were written in: all are written again in another. */
  #language = language();

  constructor(store: DashboardStore) {
    this.#store = store;
  }

  render(): void {
    const { feed } = this.#store;
    if (this.#language !== language()) {
      this.#language = language();
      for (const item of this.#items.values()) item.remove();
      this.#items.clear();
    }
    const ids = new Set(feed.map((entry) => entry.id));
    for (const [id, item] of this.#items) {
      if (ids.has(id)) continue;
      this.#items.delete(id);
      item.remove();
    }
    feed.forEach((entry, index) => {
      let item = this.#items.get(entry.id);
      if (!item) {
        item = feedItem(entry);
        this.#items.set(entry.id, item);
        fadeIn(item);
      }
      const at = this.#list.children[index];
      if (at !== item) this.#list.insertBefore(item, at ?? null);
    });
    this.#empty.hidden = feed.length > 0;
    const { feedError } = this.#store;
    this.#note.hidden = feedError === undefined;
    setText(this.#note, feedError === undefined ? '' : t().feedFailed(feedError));
  }
}

function feedItem(entry: FeedEntry): HTMLLIElement {
  const { title, tone, body } = entry.kind === 'config' ? describeConfig(entry.data) : describeSystem(entry.data);
  return h(
    'li',
    {
      class: `feed__item feed__item--${tone}`,
      'data-event': `${entry.kind}.${entry.kind === 'config' ? entry.data.action : entry.data.event}`,
    },
    h('time', { class: 'feed__time', datetime: new Date(entry.at).toISOString(), title: dateTime(entry.at) }, clockTime(entry.at)),
    h('span', { class: 'feed__kind' }, entry.kind === 'config' ? t().kindConfig : t().kindSystem),
    h('div', { class: 'feed__body' }, h('p', { class: 'feed__title' }, title), body ?? null),
  );
}

type Description = { title: string; tone: 'info' | 'bad'; body?: HTMLElement };

function describeConfig(data: ConfigUpdated | ConfigRejected): Description {
  const words = t();
  if (data.action === 'rejected')
    return { title: words.configRejected(data.updated_by), tone: 'bad', body: h('p', { class: 'feed__detail' }, data.reason) };
  const changes = data.fields.map((field) =>
    h(
      'li',
      {},
      h('code', {}, field),
      ' ',
      h('span', { class: 'change__old' }, configValue(data.old_values[field])),
      h('span', { class: 'change__arrow', 'aria-hidden': 'true' }, ' → '),
      h('span', { class: 'visually-hidden' }, words.changedTo),
      h('span', { class: 'change__new' }, configValue(data.new_values[field])),
    ),
  );
  return { title: words.configUpdated(data.updated_by, data.fields.length), tone: 'info', body: h('ul', { class: 'changes' }, ...changes) };
}

/** The system events the feed tells apart; others share the generic shape, so `event` alone cannot narrow to these. */
type KnownSystemEvent = ServiceStart | ServiceRestart | ServiceStopping;
function isEvent<E extends KnownSystemEvent['event']>(data: SystemData, event: E): data is Extract<KnownSystemEvent, { event: E }> {
  return data.event === event;
}

function describeSystem(data: SystemData): Description {
  const words = t();
  const reasonOf = (reason: string | undefined) => (typeof reason === 'string' ? humanize(reason).toLowerCase() : words.unknown);
  const ran = (seconds: number | null | undefined) => (typeof seconds === 'number' ? words.afterRunning(duration(seconds)) : '');
  if (isEvent(data, 'service_start')) return { title: words.serviceStarted(String(data.pid)), tone: 'info' };
  if (isEvent(data, 'service_restart')) {
    return {
      title: words.serviceRestarted(String(data.new_pid)),
      tone: 'info',
      body: h('p', { class: 'feed__detail' }, words.reason(reasonOf(data.reason), ran(data.previous_uptime))),
    };
  }
  if (isEvent(data, 'service_stopping')) {
    return {
      title: words.serviceStopping,
      tone: 'bad',
      body: h('p', { class: 'feed__detail' }, words.reason(reasonOf(data.reason), ran(data.uptime))),
    };
  }
  return { title: `${humanize(data.event)} (${data.service})`, tone: 'info' };
}
