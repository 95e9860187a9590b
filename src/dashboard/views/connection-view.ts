/** The connection state in the header (connecting, live, reconnecting in N s, refused) and the key's role. */
import { byId, setClass, setText } from '../dom.js';
import { t } from '../i18n.js';
import type { Connection, DashboardStore } from '../store.js';

type Tone = 'idle' | 'pending' | 'live' | 'lost';

export class ConnectionView {
  readonly #store: DashboardStore;
  readonly #state = byId('connection-state');
  readonly #text = byId('connection-text');
  readonly #countdown = byId('connection-countdown');
  readonly #role = byId('role');

  constructor(store: DashboardStore) {
    this.#store = store;
  }

  render(now = Date.now()): void {
    const { connection, role } = this.#store;
    const { text, tone, countdown, detail } = describe(connection, now);
    setClass(this.#state, `connection connection--${tone}`);
    setText(this.#text, text);
    setText(this.#countdown, countdown);
    this.#state.title = detail;
    // Lets the page mark what it shows as the last known state while not live.
    document.body.dataset.connection = connection.state.phase;
    const open = connection.state.phase === 'open';
    this.#role.hidden = !open || !role;
    setText(this.#role, role === 'admin' ? t().adminKey : t().readKey);
  }
}

function describe({ state, retryAt }: Connection, now: number): { text: string; tone: Tone; countdown: string; detail: string } {
  const words = t();
  switch (state.phase) {
    case 'idle':
      return { text: words.signedOut, tone: 'idle', countdown: '', detail: '' };
    case 'connecting':
      return state.attempt === 0
        ? { text: words.connecting, tone: 'pending', countdown: '', detail: '' }
        : { text: words.reconnectingNow, tone: 'pending', countdown: '', detail: words.attempt(state.attempt) };
    case 'open':
      return { text: words.live, tone: 'live', countdown: '', detail: words.connectedAs(state.clientId) };
    case 'reconnecting': {
      const seconds = Math.max(0, Math.ceil(((retryAt ?? now) - now) / 1000));
      const why = words.connectionClosed(state.code, state.reason, state.attempt);
      return { text: words.reconnecting, tone: 'lost', countdown: seconds > 0 ? words.inSeconds(seconds) : words.now, detail: why };
    }
    case 'closing':
      return { text: words.closing, tone: 'idle', countdown: '', detail: '' };
    case 'closed':
      if (state.cause === 'server') {
        return {
          text: words.refused(state.error?.message ?? words.closeCode(state.code)),
          tone: 'lost',
          countdown: '',
          detail: state.error?.code ?? '',
        };
      }
      return { text: state.cause === 'gave_up' ? words.gaveUp : words.disconnected, tone: 'idle', countdown: '', detail: '' };
  }
}
