/**
 * The Torrents panel: qBittorrent's transfer figures and chart, an Add box, counts by state that filter,
 * a category filter and a name search, the live table (sorted by a clicked header, row actions for admin
 * keys, deletion confirmed), and the recently completed torrents.
 */
import { TORRENT_STATE_GROUPS, type TorrentStateGroup } from '../../client/index.js';
import { byId, h, relativeTime, setClass, setText } from '../dom.js';
import { bytes, bytesPerSecond, count } from '../format.js';
import type { DashboardStore } from '../store.js';
import { SORT_FIELDS, type SortField, TorrentOrder } from '../torrent-order.js';
import { t } from '../i18n.js';
import type { TorrentTexts } from '../torrent-texts.js';
import type { RowAction, TorrentsStore } from '../torrents-store.js';
import { type RowContext, TorrentRowsView } from './torrent-rows-view.js';
import { TransferChart } from './transfer-chart.js';

const RECENTLY_COMPLETED = 8;
/** Columns whose largest values matter most: the first click sorts them high to low. */
const DESCENDING_FIRST: ReadonlySet<SortField> = new Set(['size', 'progress', 'dl_speed', 'up_speed', 'ratio']);
type GroupFilter = 'all' | TorrentStateGroup;
/** Before the first session: no rows. */
const NO_ROWS = { get: () => undefined, rows: () => [] };

export class TorrentsView {
  readonly #store: TorrentsStore;
  readonly #dashboard: DashboardStore;
  readonly #schedule: () => void;
  /** The words shown, in the page's language. */
  #texts: TorrentTexts;
  /** Writes each fixed word of the panel again, for a change of language. */
  readonly #words: Array<(texts: TorrentTexts) => void> = [];
  readonly #order = new TorrentOrder();
  readonly #rows: TorrentRowsView;
  readonly #chart: TransferChart;
  readonly #total: HTMLElement;
  readonly #groupButtons = new Map<GroupFilter, { button: HTMLButtonElement; count: HTMLElement }>();
  readonly #category: HTMLSelectElement;
  readonly #shown: HTMLElement;
  readonly #headers = new Map<SortField, HTMLElement>();
  readonly #table: HTMLElement;
  readonly #empty: HTMLElement;
  readonly #figures: Record<'down' | 'up' | 'session' | 'free', HTMLElement>;
  readonly #addForm: HTMLFormElement;
  readonly #addInput: HTMLInputElement;
  readonly #addButton: HTMLButtonElement;
  readonly #addStatus: HTMLElement;
  readonly #readOnly: HTMLElement;
  readonly #actionStatus: HTMLElement;
  readonly #completed: HTMLOListElement;
  readonly #noCompleted: HTMLElement;
  readonly #dialog: HTMLDialogElement;
  readonly #dialogTitle: HTMLElement;
  readonly #deleteFiles: HTMLInputElement;
  #deleting: string | undefined;
  /** The key's role the Add box was last shown for. */
  #role: DashboardStore['role'];
  /** What the rows were last drawn with: when it changes, every drawn row is compared again. */
  #context = '';
  #categories = '';
  #completedShown = '';

  constructor(store: TorrentsStore, dashboard: DashboardStore, schedule: () => void) {
    this.#store = store;
    this.#dashboard = dashboard;
    this.#schedule = schedule;
    this.#texts = t().torrents;
    const panel = byId('torrents-panel');

    this.#total = h('span', { class: 'count', id: 'torrent-total' }, '0');
    const figure = (name: 'down' | 'up' | 'session' | 'free') => {
      const value = h('span', { class: 'transfer__value', id: `transfer-${name}` }, '–');
      const label = this.#word(h('span', { class: 'transfer__label' }), (w) => w.transfer[name]);
      return [value, h('span', { class: `transfer__figure transfer__figure--${name}` }, label, value)] as const;
    };
    const [down, downFigure] = figure('down');
    const [up, upFigure] = figure('up');
    const [session, sessionFigure] = figure('session');
    const [free, freeFigure] = figure('free');
    this.#figures = { down, up, session, free };
    const plot = this.#word(
      h('div', { class: 'transfer__plot', id: 'transfer-chart', role: 'img' }),
      (w) => w.transfer.chart,
      'aria-label',
    );

    this.#addInput = h('input', {
      id: 'torrent-add-input',
      name: 'urls',
      type: 'text',
      inputmode: 'url',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': 'torrent-add-status',
    });
    this.#word(this.#addInput, (w) => w.add.placeholder, 'placeholder');
    this.#addButton = h('button', { type: 'submit', class: 'button button--small' });
    this.#addStatus = h('p', { id: 'torrent-add-status', class: 'torrent-add__status', role: 'status' });
    this.#addForm = h(
      'form',
      { class: 'torrent-add', id: 'torrent-add' },
      this.#word(h('label', { for: 'torrent-add-input' }), (w) => w.add.label),
      h('div', { class: 'torrent-add__row' }, this.#addInput, this.#addButton),
      this.#addStatus,
    );
    this.#readOnly = this.#word(h('p', { class: 'panel__note', hidden: true }), (w) => w.add.readOnly);

    const groups = this.#word(h('div', { class: 'torrent-groups', role: 'group' }), (w) => w.columns.state, 'aria-label');
    for (const group of ['all', ...TORRENT_STATE_GROUPS] as const) {
      const countText = h('span', { class: 'torrent-groups__count' }, '0');
      const button = h(
        'button',
        { type: 'button', class: `torrent-groups__button tstate--${group}`, 'data-group': group, 'aria-pressed': String(group === 'all') },
        this.#word(h('span'), (w) => w.groups[group]),
        countText,
      );
      button.addEventListener('click', () => this.#filter({ group }));
      this.#groupButtons.set(group, { button, count: countText });
      groups.append(button);
    }

    const search = h('input', {
      type: 'search',
      id: 'torrent-search',
      autocomplete: 'off',
    });
    this.#word(search, (w) => w.search, 'placeholder');
    this.#word(search, (w) => w.search, 'aria-label');
    search.addEventListener('input', () => this.#filter({ search: search.value }));
    this.#category = this.#word(h('select', { id: 'torrent-category' }), (w) => w.columns.category, 'aria-label');
    this.#category.addEventListener('change', () => {
      const value = this.#category.value;
      this.#filter({ category: value === '*' ? undefined : value });
    });
    this.#shown = h('span', { class: 'torrent-filters__shown', id: 'torrent-shown', role: 'status' });

    const head = h('div', { class: 'trow trow--head', role: 'row' });
    for (const field of SORT_FIELDS) {
      const button = this.#word(h('button', { type: 'button', class: 'tsort', 'data-sort': field }), (w) => w.columns[field]);
      button.addEventListener('click', () => this.#sortBy(field));
      const header = h('div', { class: `tcell tcell--${field}`, role: 'columnheader' }, button);
      this.#headers.set(field, header);
      head.append(header);
    }
    const actionsHeader = h(
      'div',
      { class: 'tcell tcell--actions', role: 'columnheader' },
      this.#word(h('span', { class: 'visually-hidden' }), (w) => w.columns.actions),
    );
    head.append(actionsHeader);
    const body = h('div', { class: 'torrent-table__body', role: 'rowgroup' });
    const viewport = h('div', { class: 'torrent-table__viewport' }, body);
    this.#table = h(
      'div',
      { class: 'torrent-table', id: 'torrent-table', role: 'table', 'aria-labelledby': 'torrents-title', 'aria-rowcount': 1 },
      h('div', { class: 'torrent-table__head', role: 'rowgroup' }, head),
      viewport,
    );
    this.#rows = new TorrentRowsView(viewport, body, (hash, action) => this.#act(hash, action), schedule);
    this.#empty = h('p', { class: 'empty', id: 'torrents-empty' });
    this.#actionStatus = h('p', { class: 'torrent-action-status', id: 'torrent-action-status', role: 'status' });
    this.#completed = h('ol', { class: 'torrent-completed', id: 'torrents-completed' });
    this.#noCompleted = this.#word(h('p', { class: 'empty' }), (w) => w.completed.none);

    this.#deleteFiles = h('input', { type: 'checkbox', id: 'torrent-delete-files' });
    this.#dialogTitle = h('h3', { class: 'tdialog__title' });
    this.#dialog = h(
      'dialog',
      { class: 'tdialog', id: 'torrent-delete-dialog', 'aria-labelledby': 'torrent-delete-title' },
      h(
        'form',
        { method: 'dialog' },
        this.#dialogTitle,
        h(
          'label',
          { class: 'tdialog__check' },
          this.#deleteFiles,
          this.#word(h('span'), (w) => w.confirm.withFiles),
        ),
        h(
          'div',
          { class: 'tdialog__buttons' },
          this.#word(h('button', { type: 'submit', value: 'cancel', class: 'button button--quiet' }), (w) => w.confirm.cancel),
          this.#word(h('button', { type: 'submit', value: 'delete', class: 'button button--danger' }), (w) => w.confirm.delete),
        ),
      ),
    );
    this.#dialogTitle.id = 'torrent-delete-title';
    this.#dialog.addEventListener('close', () => {
      const hash = this.#deleting;
      this.#deleting = undefined;
      if (hash && this.#dialog.returnValue === 'delete') void this.#store.act(hash, 'delete', { deleteFiles: this.#deleteFiles.checked });
    });

    this.#addForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#store.add(this.#addInput.value).then(() => {
        const state = this.#store.addState;
        if (state.phase === 'done' && state.result.failed.length === 0) this.#addInput.value = '';
      });
    });

    panel.append(
      h(
        'h2',
        { id: 'torrents-title', class: 'panel__title' },
        this.#word(h('span'), (w) => w.title),
        this.#total,
      ),
      h(
        'div',
        { class: 'torrents__top' },
        h(
          'figure',
          { class: 'chart transfer' },
          h('figcaption', { class: 'transfer__caption' }, downFigure, upFigure, sessionFigure, freeFigure),
          plot,
        ),
        h('div', { class: 'torrents__add' }, this.#addForm, this.#readOnly),
      ),
      groups,
      h('div', { class: 'torrent-filters' }, search, this.#category, this.#shown),
      this.#table,
      this.#empty,
      this.#actionStatus,
      this.#word(h('h3', { class: 'subheading' }), (w) => w.completed.title),
      this.#noCompleted,
      this.#completed,
      this.#dialog,
    );
    this.#chart = new TransferChart(plot, store.history);
    this.#renderSort();
    this.#renderCategories();
  }

  /** Writes the word `pick` chooses (as text, or as `attribute`) now and again whenever the language changes; returns the element. */
  #word<E extends HTMLElement>(element: E, pick: (texts: TorrentTexts) => string, attribute?: string): E {
    const write = (texts: TorrentTexts) => (attribute ? setAttribute(element, attribute, pick(texts)) : setText(element, pick(texts)));
    this.#words.push(write);
    write(this.#texts);
    return element;
  }

  render(): void {
    const texts = t().torrents;
    const languageChanged = texts !== this.#texts;
    if (languageChanged) {
      this.#texts = texts;
      for (const write of this.#words) write(texts);
      this.#categories = '';
      this.#completedShown = '';
    }
    const table = this.#store.table;
    const change = this.#store.takeChange();
    const { role } = this.#dashboard;
    const canAct = role === 'admin';
    const roleChanged = role !== this.#role;
    this.#role = role;
    if (this.#store.takeFiguresChanged() || roleChanged || languageChanged) this.#renderFigures(canAct);
    if (!table) {
      this.#order.update(NO_ROWS, { reset: true, changed: [], removed: [] });
      this.#renderRows(canAct, 'all');
      this.#renderCounts(undefined);
      return;
    }
    const rebuilt = this.#order.update(table, change);
    const dirty = change.reset ? 'all' : new Set(change.changed);
    this.#renderRows(canAct, dirty);
    if (change.reset || change.changed.length > 0 || change.removed.length > 0 || languageChanged)
      this.#renderCounts(table.ready ? table.counts() : undefined);
    if (rebuilt || languageChanged) this.#renderCategories();
    const recent = this.#order.recentlyCompleted(table, RECENTLY_COMPLETED, languageChanged);
    if (recent) this.#renderCompleted(recent);
  }

  #renderRows(canAct: boolean, dirty: ReadonlySet<string> | 'all'): void {
    const table = this.#store.table;
    const status = this.#dashboard.components.get('qbittorrent_client')?.data;
    const qbittorrent = status && 'connection_info' in status ? status : undefined;
    const version = qbittorrent?.connection_info.version ?? null;
    const connected = qbittorrent?.status === 'connected';
    const context: RowContext = {
      texts: this.#texts,
      canAct,
      // qBittorrent 5 (Web API 2.11) renamed pause/resume to stop/start.
      stopStart: !/^v?[0-4]\./.test(version ?? ''),
      busy: this.#store.busy,
    };
    const contextKey = `${context.canAct}:${context.stopStart}`;
    const redraw = contextKey !== this.#context;
    this.#context = contextKey;
    const order = this.#order.order;
    this.#rows.render(order, (hash) => table?.get(hash), redraw ? 'all' : dirty, context);
    setClass(this.#table, canAct ? 'torrent-table torrent-table--actions' : 'torrent-table');
    setAttribute(this.#table, 'aria-rowcount', String(order.length + 1));
    const total = table?.size ?? 0;
    setText(this.#shown, this.#texts.showing(count(order.length), count(total)));
    const emptyText = !table?.ready
      ? this.#texts.waiting
      : total === 0
        ? connected
          ? this.#texts.none
          : this.#texts.notConnected
        : order.length === 0
          ? this.#texts.noMatch
          : '';
    setText(this.#empty, emptyText);
    if (this.#empty.hidden !== (emptyText === '')) this.#empty.hidden = emptyText === '';
  }

  #renderCounts(counts: Readonly<Record<string, number>> | undefined): void {
    setText(this.#total, count(counts?.total ?? 0));
    for (const [group, { count: element }] of this.#groupButtons) {
      setText(element, count(counts?.[group === 'all' ? 'total' : group] ?? 0));
    }
  }

  #renderCategories(): void {
    const categories = [...this.#order.categories.keys()].sort((a, b) => a.localeCompare(b));
    const key = JSON.stringify(categories);
    if (key === this.#categories) return;
    this.#categories = key;
    const selected = this.#order.filter.category;
    const option = (value: string, label: string) => h('option', { value, selected: value === (selected ?? '*') }, label);
    this.#category.replaceChildren(
      option('*', this.#texts.allCategories),
      ...categories.map((category) => option(category, category === '' ? this.#texts.noCategory : category)),
    );
  }

  #renderCompleted(rows: ReadonlyArray<{ hash: string; name: string; size: number; completion_on: string | null }>): void {
    const key = JSON.stringify(rows.map(({ hash, name, completion_on }) => [hash, name, completion_on]));
    if (key === this.#completedShown) return;
    this.#completedShown = key;
    this.#completed.replaceChildren(
      ...rows.map((row) =>
        h(
          'li',
          { class: 'torrent-completed__item', 'data-hash': row.hash },
          h('span', { class: 'torrent-completed__name', title: row.name }, row.name),
          h('span', { class: 'torrent-completed__size' }, bytes(row.size)),
          relativeTime(Date.parse(row.completion_on ?? '')),
        ),
      ),
    );
    this.#noCompleted.hidden = rows.length > 0;
  }

  #renderFigures(canAct: boolean): void {
    const { transfer, addState, lastFailure } = this.#store;
    setText(this.#figures.down, bytesPerSecond(transfer?.dl_speed));
    setText(this.#figures.up, bytesPerSecond(transfer?.up_speed));
    setText(this.#figures.session, transfer ? `↓ ${bytes(transfer.dl_session_bytes)} ↑ ${bytes(transfer.up_session_bytes)}` : '–');
    setText(this.#figures.free, bytes(transfer?.free_space_on_disk));
    this.#chart.update();

    this.#addForm.hidden = !canAct;
    this.#readOnly.hidden = canAct || this.#dashboard.role === undefined;
    const adding = addState.phase === 'adding';
    this.#addButton.disabled = adding;
    setText(this.#addButton, adding ? this.#texts.add.adding : this.#texts.add.button);
    setText(this.#addStatus, this.#addStatusText());
    this.#addStatus.classList.toggle(
      'torrent-add__status--bad',
      addState.phase === 'failed' || (addState.phase === 'done' && addState.result.failed.length > 0),
    );
    const failure = lastFailure
      ? this.#texts.actionFailed(this.#texts.actions[lastFailure.action], lastFailure.name, lastFailure.reason)
      : '';
    setText(this.#actionStatus, failure);
  }

  #addStatusText(): string {
    const state = this.#store.addState;
    if (state.phase === 'failed') return this.#texts.addFailed(state.reason);
    if (state.phase !== 'done') return '';
    const names = (links: ReadonlyArray<{ name: string | null; info_hash: string | null }>) =>
      links.map((link) => link.name ?? link.info_hash ?? '?').join(', ');
    const { added, duplicates, failed } = state.result;
    return [
      added.length > 0 && this.#texts.added(names(added)),
      duplicates.length > 0 && this.#texts.duplicate(names(duplicates)),
      ...failed.map((link) => this.#texts.addFailed(`${link.name ?? link.info_hash ?? link.kind}: ${link.reason}`)),
    ]
      .filter(Boolean)
      .join(' · ');
  }

  #filter(changes: { group?: GroupFilter; category?: string | undefined; search?: string }): void {
    this.#order.setFilter(changes, this.#store.table ?? NO_ROWS);
    if (changes.group !== undefined) {
      for (const [group, { button }] of this.#groupButtons) button.setAttribute('aria-pressed', String(group === changes.group));
    }
    this.#schedule();
  }

  #sortBy(field: SortField): void {
    const { sort, descending } = this.#order.filter;
    this.#order.setFilter(
      { sort: field, descending: sort === field ? !descending : DESCENDING_FIRST.has(field) },
      this.#store.table ?? NO_ROWS,
    );
    this.#renderSort();
    this.#schedule();
  }

  #renderSort(): void {
    const { sort, descending } = this.#order.filter;
    for (const [field, header] of this.#headers) {
      if (field === sort) header.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      else header.removeAttribute('aria-sort');
    }
  }

  #act(hash: string, action: RowAction): void {
    if (action !== 'delete') {
      void this.#store.act(hash, action);
      return;
    }
    this.#deleting = hash;
    this.#deleteFiles.checked = false;
    setText(this.#dialogTitle, this.#texts.confirm.title(this.#store.table?.get(hash)?.name ?? hash));
    this.#dialog.showModal();
  }
}

/** Writes the attribute only when it differs: every write is a DOM mutation, even of the same value. */
function setAttribute(element: Element, name: string, value: string): void {
  if (element.getAttribute(name) !== value) element.setAttribute(name, value);
}
