/**
 * Active alerts (level, value against threshold, age, suggestion, acknowledgement and silence; for admin keys
 * Resolve, Acknowledge and Silence) and the recently resolved ones they fade into.
 */
import { ALERT_LEVEL_RANK, type AlertActive, type AlertLevel } from '../../client/index.js';
import { byId, fadeIn, fadeOutAndRemove, h, present, relativeTime, setText } from '../dom.js';
import { alertValue, humanize } from '../format.js';
import { language, t } from '../i18n.js';
import type { ActiveAlert, DashboardStore, ResolvedAlert } from '../store.js';
import { AlertActions, type AlertActionHandlers } from './alert-actions.js';

export interface AlertsHandlers extends AlertActionHandlers {
  resolve(alertId: string): void;
}

interface Card {
  element: HTMLLIElement;
  body: HTMLElement;
  /** For admin keys. */
  actions: AlertActions | undefined;
  shows: string;
}

const levelLabel = (level: AlertLevel): string => t()[level];

export class AlertsView {
  readonly #store: DashboardStore;
  readonly #handlers: AlertsHandlers;
  readonly #count = byId('alert-count');
  readonly #active = byId('alerts-container');
  readonly #noActive = byId('no-alerts');
  readonly #resolved = byId('resolved-alerts');
  readonly #noResolved = byId('no-resolved');
  /** Each active alert's card, and the rendering it shows (so that a card is rebuilt only when its alert changed). */
  readonly #cards = new Map<string, Card>();
  readonly #resolvedItems = new Map<string, HTMLLIElement>();
  /** The language the resolved items were written in: all are written again in another. */
  #resolvedLanguage = language();

  constructor(store: DashboardStore, handlers: AlertsHandlers) {
    this.#store = store;
    this.#handlers = handlers;
  }

  render(): void {
    this.#renderActive();
    this.#renderResolved();
  }

  #renderActive(): void {
    const alerts = [...this.#store.activeAlerts.values()].sort(
      (a, b) => ALERT_LEVEL_RANK[b.data.level] - ALERT_LEVEL_RANK[a.data.level] || b.firedAt - a.firedAt,
    );
    const canResolve = this.#store.role === 'admin';
    for (const [id, card] of this.#cards) {
      if (this.#store.activeAlerts.has(id)) continue;
      this.#cards.delete(id);
      fadeOutAndRemove(card.element);
    }
    alerts.forEach((alert, index) => {
      const shows = JSON.stringify([alert, canResolve, language()]);
      let card = this.#cards.get(alert.data.alert_id);
      if (!card) {
        const body = h('div', { class: 'alert__body' });
        card = { element: h('li', { 'data-alert-id': alert.data.alert_id, tabindex: -1 }, body), body, actions: undefined, shows: '' };
        this.#cards.set(alert.data.alert_id, card);
        fadeIn(card.element);
      }
      if (card.shows !== shows) {
        card.shows = shows;
        this.#fillCard(card, alert, canResolve);
      }
      card.actions?.update(alert.data, this.#store.management.actions.get(alert.data.alert_id));
      // Cards still fading out stay at the end; the active ones keep their order before them.
      const at = this.#active.children[index];
      if (at !== card.element) this.#active.insertBefore(card.element, at ?? null);
    });
    setText(this.#count, String(alerts.length));
    this.#count.setAttribute('aria-label', t().activeCount(alerts.length));
    this.#noActive.hidden = alerts.length > 0;
  }

  #fillCard(card: Card, { data, firedAt, resolving, resolveError }: ActiveAlert, canResolve: boolean): void {
    const words = t();
    card.element.className = `alert alert--${data.level}`;
    const titleId = `alert-title-${data.alert_id}`;
    card.element.setAttribute('aria-labelledby', titleId);
    if (canResolve && !card.actions) {
      card.actions = new AlertActions(data.alert_id, this.#handlers);
      card.element.append(card.actions.element);
    } else if (!canResolve && card.actions) {
      card.actions.element.remove();
      card.actions = undefined;
    }
    const processes = data.metadata.affected_processes;
    const repeat = data.repeat;
    card.body.replaceChildren(
      ...present([
        h(
          'div',
          { class: 'alert__head' },
          h('span', { class: `level level--${data.level}` }, levelLabel(data.level)),
          h('h3', { id: titleId, class: 'alert__title' }, data.title),
          data.silenced && h('span', { class: 'tag tag--silenced' }, words.silenced),
          repeat !== undefined && h('span', { class: 'tag' }, words.reminder(repeat)),
        ),
        h('p', { class: 'alert__message' }, data.message),
        h(
          'dl',
          { class: 'facts facts--inline' },
          fact(words.value, alertValue(data.value, data.type)),
          fact(words.threshold, alertValue(data.threshold, data.type)),
          fact(words.raised, relativeTime(firedAt)),
          processes.length > 0 && fact(words.topProcesses, processes.join(', '), 'facts__wide'),
        ),
        data.metadata.suggestion && h('p', { class: 'alert__suggestion' }, h('strong', {}, words.suggestion), data.metadata.suggestion),
        data.acknowledged_by !== undefined &&
          h(
            'p',
            { class: 'alert__ack' },
            words.acknowledgedBy(data.acknowledged_by),
            data.acknowledged_at ? ', ' : '',
            data.acknowledged_at ? relativeTime(Date.parse(data.acknowledged_at)) : '',
            data.acknowledgement ? `: ${data.acknowledgement}` : '',
          ),
        canResolve && this.#resolveButton(data, resolving),
        resolveError && h('p', { class: 'alert__error', role: 'alert' }, words.resolveFailed(resolveError)),
      ]),
    );
  }

  #resolveButton(data: AlertActive, resolving: boolean): HTMLButtonElement {
    const button = h(
      'button',
      { type: 'button', class: 'button button--small', 'aria-describedby': `alert-title-${data.alert_id}`, disabled: resolving },
      resolving ? t().resolving : t().resolve,
    );
    button.addEventListener('click', () => this.#handlers.resolve(data.alert_id));
    return button;
  }

  #renderResolved(): void {
    const entries = this.#store.resolvedAlerts;
    if (this.#resolvedLanguage !== language()) {
      this.#resolvedLanguage = language();
      for (const item of this.#resolvedItems.values()) item.remove();
      this.#resolvedItems.clear();
    }
    const keys = new Set(entries.map(keyOf));
    for (const [key, item] of this.#resolvedItems) {
      if (keys.has(key)) continue;
      this.#resolvedItems.delete(key);
      item.remove();
    }
    entries.forEach((entry, index) => {
      const key = keyOf(entry);
      let item = this.#resolvedItems.get(key);
      if (!item) {
        item = resolvedItem(entry);
        this.#resolvedItems.set(key, item);
        fadeIn(item);
      }
      const at = this.#resolved.children[index];
      if (at !== item) this.#resolved.insertBefore(item, at ?? null);
    });
    this.#noResolved.hidden = entries.length > 0;
  }
}

function keyOf({ data }: ResolvedAlert): string {
  return `${data.alert_id} ${data.resolved_at}`;
}

function resolvedItem({ data, was }: ResolvedAlert): HTMLLIElement {
  return h(
    'li',
    { class: `resolved-alert resolved-alert--${data.level}`, 'data-alert-id': data.alert_id },
    h('span', { class: `level level--${data.level}` }, levelLabel(data.level)),
    h('span', { class: 'resolved-alert__title' }, was?.title ?? t().alertOfType(humanize(data.type))),
    h('span', { class: 'resolved-alert__how' }, t().resolvedAgo, relativeTime(Date.parse(data.resolved_at)), t().byWhom(data.resolved_by)),
    data.resolution && h('span', { class: 'resolved-alert__resolution' }, data.resolution),
  );
}

function fact(term: string, description: string | Node, className?: string): HTMLDivElement {
  return h('div', { class: className }, h('dt', {}, term), h('dd', {}, description));
}
