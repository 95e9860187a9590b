/** The notification targets: each one's kind, masked URL, state, backlog, last success and error, counts, and (admin keys) a Test button with its outcome. */
import type { NotificationTargetState } from '../../protocol/index.js';
import { byId, h, relativeTime, setText } from '../dom.js';
import { count } from '../format.js';
import { language, t } from '../i18n.js';
import type { TestOutcome } from '../management.js';
import type { DashboardStore } from '../store.js';

const TONES: Readonly<Record<NotificationTargetState['state'], string>> = { ok: 'ok', failing: 'bad', disabled: 'neutral' };

export class NotificationsView {
  readonly #store: DashboardStore;
  readonly #onTest: (name: string) => void;
  readonly #list = byId('notification-targets');
  readonly #empty = byId('no-targets');
  readonly #note = byId('targets-note');
  #shows = '';

  constructor(store: DashboardStore, onTest: (name: string) => void) {
    this.#store = store;
    this.#onTest = onTest;
  }

  render(): void {
    const { targets, targetsError, testOutcomes } = this.#store.management;
    const canTest = this.#store.role === 'admin';
    const shows = JSON.stringify([targets, targetsError, [...testOutcomes], canTest, language()]);
    if (shows === this.#shows) return;
    this.#shows = shows;
    const words = t();
    this.#empty.hidden = targets === undefined || targets.length > 0;
    this.#note.hidden = targetsError === undefined;
    setText(this.#note, targetsError === undefined ? '' : words.targetsFailed(targetsError));
    this.#list.replaceChildren(...(targets ?? []).map((target) => this.#item(target, canTest, testOutcomes.get(target.name))));
  }

  #item(target: NotificationTargetState, canTest: boolean, outcome: TestOutcome | undefined): HTMLLIElement {
    const words = t();
    const titleId = `target-${target.name}-title`;
    const facts: Array<[string, string | Node]> = [
      [words.backlog, count(target.backlog)],
      [words.lastSuccess, target.last_success ? relativeTime(Date.parse(target.last_success)) : words.never],
      [words.sentCount, count(target.sent)],
      [words.failedAttempts, count(target.failed)],
      [words.givenUp, count(target.given_up)],
    ];
    if (target.last_error) {
      facts.push([words.lastError, h('span', {}, `${target.last_error.message} (`, relativeTime(Date.parse(target.last_error.at)), ')')]);
    }
    let testButton: HTMLButtonElement | undefined;
    if (canTest) {
      const busy = outcome?.busy === true;
      testButton = h(
        'button',
        { type: 'button', class: 'button button--small button--quiet', 'aria-describedby': titleId, disabled: busy },
        busy ? words.testing : words.test,
      );
      testButton.addEventListener('click', () => this.#onTest(target.name));
    }
    const result =
      outcome && !outcome.busy
        ? h(
            'p',
            { class: `target__outcome target__outcome--${outcome.delivered ? 'ok' : 'bad'}`, role: 'status' },
            outcome.delivered && 'duration_ms' in outcome
              ? words.testDelivered(outcome.duration_ms)
              : words.testFailed(('error' in outcome && outcome.error) || '?'),
          )
        : null;
    return h(
      'li',
      { class: 'target', 'data-target': target.name },
      h(
        'div',
        { class: 'target__head' },
        h('h3', { id: titleId, class: 'target__name' }, target.name),
        h('span', { class: 'target__kind' }, target.kind),
        h('span', { class: `badge badge--${TONES[target.state]}` }, words.targetStates[target.state] ?? target.state),
        testButton,
      ),
      h('p', { class: 'target__url' }, h('code', {}, target.url)),
      h('dl', { class: 'facts facts--inline' }, ...facts.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value)))),
      result,
    );
  }
}
