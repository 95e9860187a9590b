/** The dashboard page: asks for a key once, keeps a session open with it, and renders the store's changes once per animation frame. */
import { AlertTarget } from './alert-target.js';
import { SystemCharts } from './charts.js';
import { byId, refreshRelativeTimes, setText } from './dom.js';
import { clockTime } from './format.js';
import { createFrameScheduler } from './frame.js';
import { chooseLanguage, LANGUAGES, language, t, translatePage } from './i18n.js';
import { LoginForm, savedKey } from './login.js';
import { type Session, startSession } from './session.js';
import { DashboardStore, SECTIONS, type Section } from './store.js';
import { TorrentsStore } from './torrents-store.js';
import { AlertsView } from './views/alerts-view.js';
import { ComponentsView } from './views/components-view.js';
import { ConnectionView } from './views/connection-view.js';
import { FeedView } from './views/feed-view.js';
import { FiguresView } from './views/figures-view.js';
import { HistoryView } from './views/history-view.js';
import { NotificationsView } from './views/notifications-view.js';
import { SilencesView } from './views/silences-view.js';
import { TorrentsView } from './views/torrents-view.js';

/** Besides the store's sections: once a second, for ages and the reconnect countdown; the pointer over a chart; the Torrents panel's changes. */
type FrameWork = Section | 'clock' | 'hover' | 'torrents';

/** Gaps named under the charts, the latest ones. */
const MAX_GAPS_LISTED = 3;

const frames = createFrameScheduler<FrameWork>(render);
const store = new DashboardStore((section) => frames.mark(section));
const dashboard = byId('dashboard');
const forgetButton = byId<HTMLButtonElement>('forget-key');
const languageSelect = byId<HTMLSelectElement>('language');
const historyNote = byId('history-note');
const gapNote = byId('gap-note');
const connectionView = new ConnectionView(store);
const figuresView = new FiguresView(store);
const charts = new SystemCharts(
  store.history,
  { cpu: byId('cpu-chart'), memory: byId('memory-chart'), disk: byId('disk-chart'), network: byId('network-chart') },
  {
    cpu: () => t().cpu,
    memory: () => t().memory,
    disk: () => t().disk,
    sent: () => t().sent,
    received: () => t().received,
    noSamples: () => t().noSamples,
  },
  () => frames.mark('hover'),
);
const alertsView = new AlertsView(store, {
  resolve: (alertId) => session?.resolveAlert(alertId),
  acknowledge: (alertId, comment) => session?.acknowledgeAlert(alertId, comment),
  silence: (alertId, end, comment) => session?.silenceAlert(alertId, end, comment),
});
const notificationsView = new NotificationsView(store, (name) => session?.testTarget(name));
const silencesView = new SilencesView(store, (id) => session?.deleteSilence(id));
const historyView = new HistoryView(store, () => session?.loadOlderAlerts());
const alertTarget = new AlertTarget(store, () => session?.loadOlderAlerts(), byId('target-note'));
const componentsView = new ComponentsView(store);
const feedView = new FeedView(store);
const torrents = new TorrentsStore(() => frames.mark('torrents'));
const torrentsView = new TorrentsView(torrents, store, () => frames.mark('torrents'));
const login = new LoginForm(signIn);
let session: Session | undefined;

function render(dirty: ReadonlySet<FrameWork>): void {
  if (dirty.has('connection') || dirty.has('clock')) connectionView.render();
  if (dirty.has('figures')) figuresView.render();
  if (dirty.has('charts')) {
    charts.update();
    historyNote.hidden = store.historyError === undefined;
    setText(historyNote, store.historyError ? t().historyFailed(store.historyError) : '');
    renderGaps();
  } else if (dirty.has('hover')) charts.renderTips();
  if (dirty.has('alerts')) alertsView.render();
  if (dirty.has('components')) componentsView.render();
  if (dirty.has('feed')) feedView.render();
  if (dirty.has('notifications')) notificationsView.render();
  if (dirty.has('silences')) silencesView.render();
  if (dirty.has('history')) historyView.render();
  if (dirty.has('alerts') || dirty.has('history') || dirty.has('connection')) alertTarget.render();
  // The panel offers row actions by the key's role and names them by qBittorrent's version.
  if (dirty.has('torrents') || dirty.has('connection') || dirty.has('components')) torrentsView.render();
  if (dirty.has('clock')) refreshRelativeTimes(dashboard);
}

/** The most recent stretches without samples, in words: the charts show them as breaks in the lines. */
function renderGaps(): void {
  const gaps = store.history.gaps().slice(-MAX_GAPS_LISTED);
  gapNote.hidden = gaps.length === 0;
  const spans = gaps.map(({ from, to }) => `${clockTime(from * 1000)}–${clockTime(to * 1000)}`).join(', ');
  setText(gapNote, gaps.length === 0 ? '' : t().gaps(spans));
}

function showDashboard(shown: boolean): void {
  dashboard.hidden = !shown;
  forgetButton.hidden = !shown;
}

function signIn(key: string): void {
  session?.close();
  store.reset();
  torrents.reset();
  login.hide();
  showDashboard(true);
  session = startSession(key, store, torrents, {
    // Kept only once the server has accepted it.
    accepted: () => savedKey.save(key),
    refused(reason) {
      savedKey.forget();
      session = undefined;
      showDashboard(false);
      login.show(t().keyRefused(reason));
    },
  });
}

forgetButton.addEventListener('click', () => {
  session?.close();
  session = undefined;
  savedKey.forget();
  store.reset();
  torrents.reset();
  showDashboard(false);
  login.show();
});

/** Everything on the page in the chosen language: the markup's words now, the views' at the next frame. */
function showLanguage(): void {
  translatePage(document);
  languageSelect.value = language();
  for (const section of SECTIONS) frames.mark(section);
  frames.mark('clock');
}

languageSelect.addEventListener('change', () => {
  const chosen = LANGUAGES.find((candidate) => candidate === languageSelect.value);
  if (!chosen) return;
  chooseLanguage(chosen);
  showLanguage();
});

addEventListener('hashchange', () => {
  alertTarget.read();
  frames.mark('alerts');
});

showLanguage();
setInterval(() => frames.mark('clock'), 1000);
const key = savedKey.load();
if (key) signIn(key);
else login.show();
