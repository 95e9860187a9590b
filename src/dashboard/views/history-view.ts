/** The alert history, newest first, a page at a time (GET /api/v1/alerts with `before`): level, title, status, when raised and resolved, by whom, any acknowledgement. */
import type { AlertHistoryEntry } from '../../protocol/index.js';
import { byId, h, relativeTime, setText } from '../dom.js';
import { dateTime } from '../format.js';
import { language, t } from '../i18n.js';
import type { DashboardStore } from '../store.js';

export class HistoryView {
  readonly #store: DashboardStore;
  readonly #list = byId('alert-history');
  readonly #empty = byId('no-history');
  readonly #note = byId('history-error');
  readonly #more = byId<HTMLButtonElement>('history-more');
  #shows = '';

  constructor(store: DashboardStore, onMore: () => void) {
    this.#store = store;
    this.#more.addEventListener('click', onMore);
  }

  render(): void {
    const { history, historyNext, historyLoading, historyError } = this.#store.management;
    const shows = JSON.stringify([history, historyNext, historyLoading, historyError, language()]);
    if (shows === this.#shows) return;
    this.#shows = shows;
    const words = t();
    this.#empty.hidden = history.length > 0 || historyNext === undefined;
    this.#note.hidden = historyError === undefined;
    setText(this.#note, historyError === undefined ? '' : words.alertHistoryFailed(historyError));
    this.#more.hidden = !historyNext;
    this.#more.disabled = historyLoading;
    setText(this.#more, historyLoading ? words.loading : words.loadOlder);
    this.#list.replaceChildren(...history.map(item));
  }
}

function item(entry: AlertHistoryEntry): HTMLLIElement {
  const words = t();
  const raisedAt = Date.parse(entry.raised_at);
  return h(
    'li',
    { class: `history-item history-item--${entry.status}`, 'data-alert-id': entry.alert_id, tabindex: -1 },
    h('span', { class: `level level--${entry.level}` }, words[entry.level]),
    h('span', { class: 'history-item__title' }, entry.title),
    h(
      'span',
      { class: `history-item__status history-item__status--${entry.status}` },
      entry.status === 'active' ? words.statusActive : words.statusResolved,
    ),
    h(
      'span',
      { class: 'history-item__when' },
      h('time', { datetime: entry.raised_at, title: dateTime(raisedAt) }, dateTime(raisedAt)),
      entry.resolved_at && ' → ',
      entry.resolved_at && relativeTime(Date.parse(entry.resolved_at)),
      entry.resolved_by && ` (${words.resolvedBy(entry.resolved_by)})`,
    ),
    entry.acknowledged_by !== undefined &&
      h(
        'span',
        { class: 'history-item__ack' },
        words.acknowledgedBy(entry.acknowledged_by),
        entry.acknowledgement ? `: ${entry.acknowledgement}` : '',
      ),
  );
}
