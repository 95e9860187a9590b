/**
 * The torrent rows as a windowed list: only the rows in view (and a few either side) exist in the DOM,
 * placed by their index, recycled as the list scrolls; a frame repaints only the rows that changed, and
 * in them only the cells whose text changed.
 */
import { type TorrentRow, torrentStateGroup } from '../../client/index.js';
import { h } from '../dom.js';
import { bytes, bytesPerSecond } from '../format.js';
import { etaText, progressText, ratioText, stateText } from '../torrent-format.js';
import type { TorrentTexts } from '../torrent-texts.js';
import type { RowAction } from '../torrents-store.js';

/** Rows drawn beyond each edge of the view, so that a short scroll shows drawn rows. */
const OVERSCAN = 8;
/** Row height when the stylesheet gives none (px). */
const FALLBACK_ROW_HEIGHT = 40;

/** The cells whose text comes from the row, in order, with their CSS modifier and the phone layout's short label. */
const TEXT_CELLS = ['name', 'size', 'state', 'dl_speed', 'up_speed', 'eta', 'ratio', 'category'] as const;
type TextCell = (typeof TEXT_CELLS)[number];

export interface RowContext {
  texts: TorrentTexts;
  /** Whether this key may act on rows (admin). */
  canAct: boolean;
  /** Whether qBittorrent names the action stop/start (5.x) rather than pause/resume. */
  stopStart: boolean;
  busy: ReadonlyMap<string, RowAction>;
}

interface DrawnRow {
  element: HTMLElement;
  hash: string | undefined;
  index: number;
  text: Record<TextCell, HTMLElement>;
  fill: HTMLElement;
  percent: HTMLElement;
  state: HTMLElement;
  toggle: HTMLButtonElement | undefined;
  buttons: HTMLButtonElement[];
  /** What each part shows now, so that a repaint writes only what differs. */
  shown: Map<string, string>;
}

export class TorrentRowsView {
  readonly #viewport: HTMLElement;
  readonly #body: HTMLElement;
  readonly #drawn = new Map<string, DrawnRow>();
  /** Rows no longer in view, kept for rows scrolled into it. */
  readonly #spare: DrawnRow[] = [];
  #rowHeight = FALLBACK_ROW_HEIGHT;
  #viewHeight = 0;
  #canAct: boolean | undefined;
  #texts: TorrentTexts | undefined;
  #bodyHeight = -1;

  /** `viewport` scrolls; `body` holds the rows. `onAction` gets the clicked row's hash and action. */
  constructor(viewport: HTMLElement, body: HTMLElement, onAction: (hash: string, action: RowAction) => void, onLayout: () => void) {
    this.#viewport = viewport;
    this.#body = body;
    body.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-action]');
      const hash = button?.closest<HTMLElement>('[data-hash]')?.dataset.hash;
      if (button && hash) onAction(hash, button.dataset.action as RowAction);
    });
    viewport.addEventListener('scroll', onLayout, { passive: true });
    new ResizeObserver(() => {
      this.#measure();
      onLayout();
    }).observe(viewport);
    this.#measure();
  }

  /**
   * Draws the rows of `order` in view. `dirty`: the hashes whose data changed, or 'all' (then every
   * drawn row is compared with its data, still writing only what differs).
   */
  render(
    order: readonly string[],
    rowOf: (hash: string) => Readonly<TorrentRow> | undefined,
    dirty: ReadonlySet<string> | 'all',
    context: RowContext,
  ): void {
    if (context.canAct !== this.#canAct || context.texts !== this.#texts) {
      // Admin or not decides the rows' cells, and the language their labels: they are built again.
      this.#canAct = context.canAct;
      this.#texts = context.texts;
      for (const row of this.#drawn.values()) row.element.remove();
      this.#drawn.clear();
      this.#spare.length = 0;
    }
    const height = order.length * this.#rowHeight;
    if (height !== this.#bodyHeight) {
      this.#bodyHeight = height;
      this.#body.style.height = `${height}px`;
    }
    const top = this.#viewport.scrollTop;
    const first = Math.max(0, Math.floor(top / this.#rowHeight) - OVERSCAN);
    const last = Math.min(order.length, Math.ceil((top + this.#viewHeight) / this.#rowHeight) + OVERSCAN);
    const wanted = new Set(order.slice(first, last));
    for (const [hash, row] of this.#drawn) {
      if (wanted.has(hash)) continue;
      this.#drawn.delete(hash);
      row.hash = undefined;
      this.#spare.push(row);
    }
    for (let index = first; index < last; index++) {
      const hash = order[index]!;
      const data = rowOf(hash);
      if (!data) continue;
      let row = this.#drawn.get(hash);
      const fresh = row === undefined;
      if (!row) {
        row = this.#spare.pop() ?? this.#create(context);
        row.hash = hash;
        row.element.dataset.hash = hash;
        this.#drawn.set(hash, row);
      }
      if (row.index !== index) {
        row.index = index;
        row.element.style.transform = `translateY(${index * this.#rowHeight}px)`;
        row.element.setAttribute('aria-rowindex', String(index + 2));
      }
      if (fresh || dirty === 'all' || dirty.has(hash)) this.#paint(row, data, context);
      if (!row.element.isConnected) this.#body.append(row.element);
    }
    for (const row of this.#spare) row.element.remove();
  }

  /** The row height the stylesheet sets for this width (`--torrent-row-height`), and the visible height. */
  #measure(): void {
    const height = Number.parseFloat(getComputedStyle(this.#viewport).getPropertyValue('--torrent-row-height'));
    const rowHeight = Number.isFinite(height) && height > 0 ? height : FALLBACK_ROW_HEIGHT;
    if (rowHeight !== this.#rowHeight) {
      this.#rowHeight = rowHeight;
      // Every drawn row moves.
      for (const row of this.#drawn.values()) row.index = -1;
    }
    this.#viewHeight = this.#viewport.clientHeight;
  }

  #create({ texts, canAct }: RowContext): DrawnRow {
    const cell = (name: string, ...children: HTMLElement[]) =>
      h('div', { class: `tcell tcell--${name}`, role: 'cell', 'data-label': labelOf(name, texts) }, ...children);
    const text = Object.fromEntries(TEXT_CELLS.map((name) => [name, cell(name)])) as unknown as Record<TextCell, HTMLElement>;
    const fill = h('span', { class: 'tbar__fill' });
    const percent = h('span', { class: 'tcell__percent' });
    const state = h('span', { class: 'tstate' });
    text.state.append(state);
    const button = (action: RowAction | 'toggle', glyph: string) =>
      h('button', { type: 'button', class: `tbutton tbutton--${action}`, 'data-action': action }, glyph);
    const toggle = canAct ? button('toggle', '') : undefined;
    const buttons = canAct && toggle ? [toggle, button('recheck', '↻'), button('delete', '✕')] : [];
    const element = h(
      'div',
      { class: 'trow', role: 'row' },
      text.name,
      text.size,
      cell('progress', h('span', { class: 'tbar', 'aria-hidden': 'true' }, fill), percent),
      text.state,
      text.dl_speed,
      text.up_speed,
      text.eta,
      text.ratio,
      text.category,
      ...(canAct ? [cell('actions', ...buttons)] : []),
    );
    return { element, hash: undefined, index: -1, text, fill, percent, state, toggle, buttons, shown: new Map() };
  }

  #paint(row: DrawnRow, data: Readonly<TorrentRow>, { texts, stopStart, busy }: RowContext): void {
    const group = torrentStateGroup(data.state);
    const write = (key: string, value: string, apply: (value: string) => void) => {
      if (row.shown.get(key) === value) return;
      row.shown.set(key, value);
      apply(value);
    };
    const values: Record<TextCell, string> = {
      name: data.name,
      size: bytes(data.size),
      state: stateText(data.state, texts),
      dl_speed: data.dl_speed > 0 ? bytesPerSecond(data.dl_speed) : '',
      up_speed: data.up_speed > 0 ? bytesPerSecond(data.up_speed) : '',
      eta: etaText(data.eta, data.progress, texts),
      ratio: ratioText(data.ratio),
      category: data.category,
    };
    for (const name of TEXT_CELLS) {
      const target = name === 'state' ? row.state : row.text[name];
      write(name, values[name], (value) => (target.textContent = value));
    }
    write('title', data.name, (value) => (row.text.name.title = value));
    write('group', group, (value) => (row.state.className = `tstate tstate--${value}`));
    const percent = progressText(data.progress);
    write('percent', percent, (value) => (row.percent.textContent = value));
    write('fill', percent, (value) => (row.fill.style.width = value));
    if (!row.toggle) return;
    // A stopped torrent offers to start; any other to stop. qBittorrent before 5 says pause and resume.
    const stopped = group === 'stopped';
    const action = stopped ? 'start' : 'stop';
    const label = stopped ? (stopStart ? texts.actions.start : texts.actions.resume) : stopStart ? texts.actions.stop : texts.actions.pause;
    const toggle = row.toggle;
    write('toggle', `${action}:${label}`, () => {
      toggle.dataset.action = action;
      toggle.textContent = stopped ? '▶' : '❚❚';
      toggle.setAttribute('aria-label', label);
      toggle.title = label;
    });
    write('labels', texts.actions.delete, () => {
      for (const button of row.buttons.slice(1)) {
        const name = texts.actions[button.dataset.action as 'recheck' | 'delete'];
        button.setAttribute('aria-label', name);
        button.title = name;
      }
    });
    const isBusy = busy.has(row.hash ?? '');
    write('busy', String(isBusy), () => {
      for (const button of row.buttons) button.disabled = isBusy;
    });
  }
}

/** The short label a cell carries for the phone layout, where there is no header row. */
function labelOf(cell: string, texts: TorrentTexts): string | undefined {
  if (cell === 'dl_speed') return '↓';
  if (cell === 'up_speed') return '↑';
  if (cell === 'eta') return texts.columns.eta;
  if (cell === 'ratio') return texts.columns.ratio;
  return undefined;
}
