/**
 * The alert a link points at (`#alert=<id>`, as notifications link to it): its active card, or else its entry in
 * the alert history (older pages read until it is found, a few at most), scrolled to and marked; a note if it is in neither.
 */
import { setText } from './dom.js';
import { t } from './i18n.js';
import type { DashboardStore } from './store.js';

/** Older history pages read in search of the alert before saying it is not there. */
const MAX_PAGES_SEARCHED = 4;
const MARK = 'is-target';

export class AlertTarget {
  readonly #store: DashboardStore;
  readonly #loadOlder: () => void;
  readonly #note: HTMLElement;
  #id: string | undefined;
  #shown: HTMLElement | undefined;
  #pagesSearched = 0;
  /** Scrolled to once: redrawn lists mark it again without moving the page. */
  #scrolled = false;

  constructor(store: DashboardStore, loadOlder: () => void, note: HTMLElement) {
    this.#store = store;
    this.#loadOlder = loadOlder;
    this.#note = note;
    this.read();
  }

  /** Takes the alert from the page's address (on load and on every hash change). */
  read(): void {
    const match = /^#alert=(.+)$/.exec(location.hash);
    let id: string | undefined;
    try {
      id = match ? decodeURIComponent(match[1]!) : undefined;
    } catch {
      id = undefined;
    }
    this.#shown?.classList.remove(MARK);
    this.#shown = undefined;
    this.#id = id;
    this.#pagesSearched = 0;
    this.#scrolled = false;
    this.#note.hidden = true;
  }

  /** After the alerts and the history were drawn: finds, marks and scrolls to the alert once. */
  render(): void {
    const id = this.#id;
    if (id === undefined || (this.#shown?.isConnected && this.#shown.closest('#alerts-container'))) return;
    const selector = `li[data-alert-id="${CSS.escape(id)}"]`;
    const card = document.querySelector<HTMLElement>(`#alerts-container > ${selector}`);
    if (card) {
      this.#show(card);
      return;
    }
    const { history, historyNext, historyLoading } = this.#store.management;
    if (this.#shown?.isConnected) return;
    const entry = history.find((alert) => alert.alert_id === id);
    // Still active: its card comes with the connection's snapshot.
    if (entry?.status === 'active' && this.#store.connection.state.phase !== 'open') return;
    const row = entry && document.querySelector<HTMLElement>(`#alert-history > ${selector}`);
    if (row) {
      this.#show(row);
      return;
    }
    if (historyNext === undefined || historyLoading) return;
    if (historyNext !== null && this.#pagesSearched < MAX_PAGES_SEARCHED) {
      this.#pagesSearched += 1;
      this.#loadOlder();
      return;
    }
    setText(this.#note, t().targetAlertGone(id));
    this.#note.hidden = false;
  }

  #show(element: HTMLElement): void {
    this.#shown?.classList.remove(MARK);
    this.#shown = element;
    this.#note.hidden = true;
    element.classList.add(MARK);
    if (this.#scrolled) return;
    this.#scrolled = true;
    element.scrollIntoView({ block: 'center' });
    element.focus({ preventScroll: true });
  }
}
