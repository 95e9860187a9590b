/** The API key: asked for once in a form, kept in localStorage, forgotten on request or when the server refuses it. */
import { byId, setText } from './dom.js';
import { t } from './i18n.js';

const STORAGE_KEY = 'qbt-monitor.api-key';

/** localStorage may be disabled (some private modes throw): the page then asks on every visit. */
export const savedKey = {
  load(): string | undefined {
    try {
      return localStorage.getItem(STORAGE_KEY) ?? undefined;
    } catch {
      return undefined;
    }
  },
  save(key: string): void {
    try {
      localStorage.setItem(STORAGE_KEY, key);
    } catch {
      // Not kept: asked again next time.
    }
  },
  forget(): void {
    try {
      localStorage.removeItem(STORAGE_KEY);
    } catch {
      // Nothing was kept.
    }
  },
};

export class LoginForm {
  readonly #section = byId('login');
  readonly #form = byId<HTMLFormElement>('login-form');
  readonly #input = byId<HTMLInputElement>('api-key');
  readonly #error = byId('login-error');

  constructor(onSubmit: (key: string) => void) {
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      const key = this.#input.value.trim();
      if (!key) {
        this.#showError(t().pasteKeyFirst);
        return;
      }
      this.#input.value = '';
      onSubmit(key);
    });
  }

  /** Shows the form, with why it is asking again when there is a reason. */
  show(reason?: string): void {
    this.#section.hidden = false;
    this.#showError(reason ?? '');
    this.#input.focus();
  }

  hide(): void {
    this.#section.hidden = true;
  }

  #showError(message: string): void {
    setText(this.#error, message);
    this.#input.setAttribute('aria-invalid', String(message !== ''));
  }
}
