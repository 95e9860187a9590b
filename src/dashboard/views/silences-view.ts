/** The silences in force: what each matches, when it ends, why and by whom, with a Delete button for admin keys. */
import type { Silence } from '../../protocol/index.js';
import { byId, h, relativeTime, setText } from '../dom.js';
import { dateTime } from '../format.js';
import { language, t } from '../i18n.js';
import type { AlertAction } from '../management.js';
import type { DashboardStore } from '../store.js';

export class SilencesView {
  readonly #store: DashboardStore;
  readonly #onDelete: (id: string) => void;
  readonly #list = byId('silence-list');
  readonly #empty = byId('no-silences');
  readonly #note = byId('silences-note');
  #shows = '';

  constructor(store: DashboardStore, onDelete: (id: string) => void) {
    this.#store = store;
    this.#onDelete = onDelete;
  }

  render(): void {
    const { silences, silencesError, silenceDeletes } = this.#store.management;
    const canDelete = this.#store.role === 'admin';
    const shows = JSON.stringify([silences, silencesError, [...silenceDeletes], canDelete, language()]);
    if (shows === this.#shows) return;
    this.#shows = shows;
    this.#empty.hidden = silences === undefined || silences.length > 0;
    this.#note.hidden = silencesError === undefined;
    setText(this.#note, silencesError === undefined ? '' : t().silencesFailed(silencesError));
    this.#list.replaceChildren(...(silences ?? []).map((silence) => this.#item(silence, canDelete, silenceDeletes.get(silence.id))));
  }

  #item(silence: Silence, canDelete: boolean, deleting: AlertAction | undefined): HTMLLIElement {
    const words = t();
    const endsAt = Date.parse(silence.ends_at);
    const matchers = Object.entries(silence.matchers).map(([field, value]) =>
      h('code', { class: 'matcher' }, `${field} = ${Array.isArray(value) ? value.join(' | ') : String(value)}`),
    );
    let button: HTMLButtonElement | undefined;
    if (canDelete) {
      button = h(
        'button',
        {
          type: 'button',
          class: 'button button--small button--quiet',
          disabled: deleting?.busy === true,
          'aria-label': `${words.deleteSilence} ${silence.id}`,
        },
        deleting?.busy ? words.deleting : words.deleteSilence,
      );
      button.addEventListener('click', () => this.#onDelete(silence.id));
    }
    return h(
      'li',
      { class: 'silence', 'data-silence-id': silence.id },
      h('div', { class: 'silence__head' }, h('span', { class: 'silence__matchers' }, ...matchers), button),
      h(
        'dl',
        { class: 'facts facts--inline' },
        h(
          'div',
          {},
          h('dt', {}, words.ends),
          h('dd', {}, h('time', { datetime: silence.ends_at, title: dateTime(endsAt) }, dateTime(endsAt))),
        ),
        h('div', {}, h('dt', {}, words.createdBy), h('dd', {}, silence.created_by, ', ', relativeTime(Date.parse(silence.created_at)))),
        silence.comment !== '' && h('div', { class: 'facts__wide' }, h('dt', {}, words.comment), h('dd', {}, silence.comment)),
      ),
      deleting?.error && h('p', { class: 'alert__error', role: 'alert' }, words.deleteFailed(deleting.error)),
    );
  }
}
