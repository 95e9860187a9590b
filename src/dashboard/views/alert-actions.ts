/**
 * An active alert's admin actions: Acknowledge with a comment, and Silence for an hour, a day or until a chosen
 * time. Built once per alert card and updated in place, so that a comment being typed survives the alert's updates.
 */
import type { AlertActive } from '../../client/index.js';
import { h, setText } from '../dom.js';
import { t } from '../i18n.js';
import type { AlertAction } from '../management.js';
import type { SilenceEnd } from '../session.js';

export interface AlertActionHandlers {
  acknowledge(alertId: string, comment: string): void;
  silence(alertId: string, end: SilenceEnd, comment: string): void;
}

const HOUR = 3600;
const DAY = 86_400;

export class AlertActions {
  readonly element: HTMLElement;
  readonly #ackToggle: HTMLButtonElement;
  readonly #ackForm: HTMLFormElement;
  readonly #ackSubmit: HTMLButtonElement;
  readonly #ackLabel: HTMLElement;
  readonly #ackInput: HTMLInputElement;
  readonly #silenceToggle: HTMLButtonElement;
  readonly #silenceForm: HTMLFormElement;
  readonly #hour: HTMLButtonElement;
  readonly #day: HTMLButtonElement;
  readonly #untilLabel: HTMLElement;
  readonly #until: HTMLInputElement;
  readonly #untilSubmit: HTMLButtonElement;
  readonly #silenceCommentLabel: HTMLElement;
  readonly #silenceComment: HTMLInputElement;
  readonly #cancels: HTMLButtonElement[] = [];
  readonly #error: HTMLElement;
  #localError = '';

  constructor(alertId: string, handlers: AlertActionHandlers) {
    const id = (part: string) => `alert-${alertId}-${part}`;
    this.#ackToggle = h('button', {
      type: 'button',
      class: 'button button--small button--quiet',
      'aria-expanded': 'false',
      'aria-controls': id('ack'),
    });
    this.#ackLabel = h('label', { for: id('ack-comment') });
    this.#ackInput = h('input', { id: id('ack-comment'), name: 'comment', type: 'text', maxlength: 1000, autocomplete: 'off' });
    this.#ackSubmit = h('button', { type: 'submit', class: 'button button--small' });
    this.#ackForm = h(
      'form',
      { id: id('ack'), class: 'action-form', hidden: true },
      this.#ackLabel,
      this.#ackInput,
      h('div', { class: 'action-form__buttons' }, this.#ackSubmit, this.#cancel()),
    );
    this.#ackForm.addEventListener('submit', (event) => {
      event.preventDefault();
      handlers.acknowledge(alertId, this.#ackInput.value.trim());
    });
    this.#ackToggle.addEventListener('click', () => this.#open(this.#ackForm.hidden ? 'ack' : undefined));

    this.#silenceToggle = h('button', {
      type: 'button',
      class: 'button button--small button--quiet',
      'aria-expanded': 'false',
      'aria-controls': id('silence'),
    });
    this.#hour = h('button', { type: 'button', class: 'button button--small' });
    this.#day = h('button', { type: 'button', class: 'button button--small' });
    this.#untilLabel = h('label', { for: id('until') });
    this.#until = h('input', { id: id('until'), type: 'datetime-local' });
    this.#untilSubmit = h('button', { type: 'submit', class: 'button button--small' });
    this.#silenceCommentLabel = h('label', { for: id('silence-comment') });
    this.#silenceComment = h('input', { id: id('silence-comment'), type: 'text', maxlength: 1000, autocomplete: 'off' });
    this.#silenceForm = h(
      'form',
      { id: id('silence'), class: 'action-form', hidden: true },
      this.#silenceCommentLabel,
      this.#silenceComment,
      h('div', { class: 'action-form__buttons' }, this.#hour, this.#day),
      h('div', { class: 'action-form__until' }, this.#untilLabel, this.#until, this.#untilSubmit),
      h('div', { class: 'action-form__buttons' }, this.#cancel()),
    );
    const silence = (end: SilenceEnd) => handlers.silence(alertId, end, this.#silenceComment.value.trim());
    this.#hour.addEventListener('click', () => silence({ duration: HOUR }));
    this.#day.addEventListener('click', () => silence({ duration: DAY }));
    this.#silenceForm.addEventListener('submit', (event) => {
      event.preventDefault();
      // datetime-local is the browser's local time, which Date reads as such.
      const until = new Date(this.#until.value).getTime();
      if (!Number.isFinite(until) || until <= Date.now()) {
        this.#localError = t().silenceBadUntil;
        setText(this.#error, this.#localError);
        this.#error.hidden = false;
        return;
      }
      this.#localError = '';
      silence({ ends_at: new Date(until).toISOString() });
    });
    this.#silenceToggle.addEventListener('click', () => this.#open(this.#silenceForm.hidden ? 'silence' : undefined));

    this.#error = h('p', { class: 'alert__error', role: 'alert', hidden: true });
    this.element = h(
      'div',
      { class: 'alert__actions' },
      h('div', { class: 'alert__action-buttons' }, this.#ackToggle, this.#silenceToggle),
      this.#ackForm,
      this.#silenceForm,
      this.#error,
    );
  }

  /** Shows what applies to the alert as it now is, and this page's requests under way or failed, in the page's language. */
  update(data: AlertActive, actions: { acknowledge?: AlertAction; silence?: AlertAction } | undefined): void {
    const words = t();
    const acknowledged = data.acknowledged_by !== undefined;
    const silenced = data.silenced === true;
    const ack = actions?.acknowledge;
    const silence = actions?.silence;
    this.#ackToggle.hidden = acknowledged;
    this.#silenceToggle.hidden = silenced;
    if (acknowledged) this.#ackForm.hidden = true;
    if (silenced) this.#silenceForm.hidden = true;
    this.#ackToggle.setAttribute('aria-expanded', String(!this.#ackForm.hidden));
    this.#silenceToggle.setAttribute('aria-expanded', String(!this.#silenceForm.hidden));
    setText(this.#ackToggle, `${words.acknowledge}…`);
    setText(this.#silenceToggle, `${words.silence}…`);
    setText(this.#ackLabel, words.ackComment);
    this.#ackInput.placeholder = words.ackCommentHint;
    setText(this.#ackSubmit, ack?.busy ? words.acknowledging : words.acknowledge);
    this.#ackSubmit.disabled = ack?.busy === true;
    setText(this.#silenceCommentLabel, words.silenceComment);
    setText(this.#hour, silence?.busy ? words.silencing : words.silenceHour);
    setText(this.#day, words.silenceDay);
    setText(this.#untilLabel, words.silenceUntil);
    setText(this.#untilSubmit, words.silenceUntilButton);
    for (const button of [this.#hour, this.#day, this.#untilSubmit]) button.disabled = silence?.busy === true;
    for (const cancel of this.#cancels) setText(cancel, words.cancel);
    const error = ack?.error ? words.ackFailed(ack.error) : silence?.error ? words.silenceFailed(silence.error) : this.#localError;
    setText(this.#error, error);
    this.#error.hidden = error === '';
  }

  #cancel(): HTMLButtonElement {
    const button = h('button', { type: 'button', class: 'button button--small button--quiet' });
    button.addEventListener('click', () => this.#open(undefined));
    this.#cancels.push(button);
    return button;
  }

  /** Opens one form (closing the other), or none. */
  #open(form: 'ack' | 'silence' | undefined): void {
    this.#ackForm.hidden = form !== 'ack';
    this.#silenceForm.hidden = form !== 'silence';
    this.#ackToggle.setAttribute('aria-expanded', String(form === 'ack'));
    this.#silenceToggle.setAttribute('aria-expanded', String(form === 'silence'));
    if (form === 'ack') this.#ackInput.focus();
    if (form === 'silence') this.#silenceComment.focus();
  }
}
