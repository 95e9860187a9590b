/** A status badge per component with its details: the clipboard monitor's counts, qBittorrent's version and last activity, and any other component the server reports. */
import type { ClipboardStatus, EventTypeData, QbittorrentStatus } from '../../client/index.js';
import { byId, h, relativeTime, setClass, setText } from '../dom.js';
import { clockTime, count, humanize } from '../format.js';
import { language, t, type Words } from '../i18n.js';
import type { DashboardStore } from '../store.js';
import { clipboardLists } from './clipboard-details.js';

/** Shown first, and before their first status arrives. */
const KNOWN_COMPONENTS: ReadonlyArray<{ name: string; label: (words: Words) => string }> = [
  { name: 'qbittorrent_client', label: (words) => words.qbittorrent },
  { name: 'clipboard_monitor', label: (words) => words.clipboardMonitor },
];

type Tone = 'ok' | 'pending' | 'bad' | 'neutral';

const TONES: Readonly<Record<string, Tone>> = {
  running: 'ok',
  connected: 'ok',
  connecting: 'pending',
  disconnected: 'bad',
  auth_failed: 'bad',
  unavailable: 'bad',
};

type StatusData = EventTypeData['status'];
interface Card {
  title: HTMLElement;
  badge: HTMLElement;
  facts: HTMLElement;
  /** Lists below the facts: the clipboard's adds, pending links, failures and rules. */
  lists: HTMLElement;
  shows: string;
}
type Fact = [term: string, description: string | Node];

export class ComponentsView {
  readonly #store: DashboardStore;
  readonly #list = byId('component-list');
  readonly #cards = new Map<string, Card>();

  constructor(store: DashboardStore) {
    this.#store = store;
  }

  render(): void {
    const known = KNOWN_COMPONENTS.map(({ name }) => name);
    const others = [...this.#store.components.keys()].filter((name) => !known.includes(name)).sort();
    for (const name of [...known, ...others]) {
      const card = this.#cards.get(name) ?? this.#addCard(name);
      const status = this.#store.components.get(name);
      const lastCheck = this.#store.lastChecks.get(name);
      const shows = JSON.stringify([status ?? null, lastCheck, language()]);
      if (card.shows === shows) continue;
      card.shows = shows;
      const words = t();
      const state = status?.data.status;
      setText(card.title, labelOf(name, words));
      setText(card.badge, state === undefined ? words.noStatusYet : (words.statusWords[state] ?? state.replaceAll('_', ' ')));
      setClass(card.badge, `badge badge--${state === undefined ? 'neutral' : (TONES[state] ?? 'neutral')}`);
      card.facts.replaceChildren(
        ...(status ? factsOf(status.data, status.at, lastCheck) : []).map(([term, description]) =>
          h('div', {}, h('dt', {}, term), h('dd', {}, description)),
        ),
      );
      card.lists.replaceChildren(...(status && isClipboard(status.data) ? clipboardLists(status.data.details) : []));
    }
  }

  #addCard(name: string): Card {
    const titleId = `${name}-title`;
    const title = h('h3', { id: titleId });
    // `<component>-status` as in the API document's example page.
    const badge = h('span', { id: `${name}-status`, class: 'badge badge--neutral' });
    const facts = h('dl', { id: `${name}-details`, class: 'facts' });
    const lists = h('div', { id: `${name}-lists`, class: 'component__lists' });
    const card = { title, badge, facts, lists, shows: '' };
    this.#list.append(
      h(
        'article',
        { class: 'component', 'aria-labelledby': titleId },
        h('header', { class: 'component__head' }, title, badge),
        facts,
        lists,
      ),
    );
    this.#cards.set(name, card);
    return card;
  }
}

function labelOf(name: string, words: Words): string {
  return KNOWN_COMPONENTS.find((known) => known.name === name)?.label(words) ?? humanize(name);
}

/** `component` names the shape; other components share the generic one, so TypeScript cannot narrow by it alone. */
const isQbittorrent = (data: StatusData): data is QbittorrentStatus => data.component === 'qbittorrent_client';
const isClipboard = (data: StatusData): data is ClipboardStatus => data.component === 'clipboard_monitor';

/** `lastCheck`: the component's last check as GET /api/v1/status last told it (ms), newer than its last event's when it checked since. */
function factsOf(data: StatusData, receivedAt: number, lastCheck: number | undefined): Fact[] {
  if (isQbittorrent(data)) return qbittorrentFacts(data);
  if (isClipboard(data)) return clipboardFacts(data, lastCheck);
  const facts: Fact[] = [[t().updated, relativeTime(receivedAt)]];
  for (const [key, value] of Object.entries(data.details ?? {})) {
    if (typeof value === 'number' || typeof value === 'string') facts.push([humanize(key), String(value)]);
  }
  return facts;
}

function qbittorrentFacts(data: QbittorrentStatus): Fact[] {
  const words = t();
  const { connection_info: info, error } = data;
  if (data.status === 'not_configured') {
    return [[words.setup, words.setupQbittorrent], ...(error ? [[words.why, error] as Fact] : [])];
  }
  const facts: Fact[] = [
    [words.version, info?.version ? `${info.version}${info.api_version ? ` (Web API ${info.api_version})` : ''}` : words.unknown],
    [words.webUi, `${info?.host || '?'}:${info?.port ?? '?'}`],
    [words.lastActivity, timeOrNever(data.last_activity)],
  ];
  if (data.since) facts.push([words.statusSince, relativeTime(Date.parse(data.since))]);
  if (error) facts.push([words.error, error]);
  if (data.next_retry_at) facts.push([words.nextRetry, words.atTime(clockTime(Date.parse(data.next_retry_at)))]);
  return facts;
}

function clipboardFacts({ details, last_check }: ClipboardStatus, lastCheck: number | undefined): Fact[] {
  const words = t();
  const number = (value: number | undefined) => (value === undefined ? '–' : count(value));
  const facts: Fact[] = [
    [words.linksProcessed, number(details?.processed_count)],
    [words.added, number(details?.successful_adds)],
    [words.failed, number(details?.failed_adds)],
  ];
  if (details?.duplicates_skipped !== undefined) facts.push([words.duplicatesSkipped, number(details.duplicates_skipped)]);
  if (details?.skipped) facts.push([words.skippedByRules, number(details.skipped)]);
  const checked = Math.max(last_check ? Date.parse(last_check) : 0, lastCheck ?? 0);
  facts.push([words.lastCheck, checked > 0 ? relativeTime(checked) : words.never]);
  if (details?.reason) facts.push([words.why, details.reason]);
  const lastAdded = details?.last_added;
  const addedName = lastAdded?.name || lastAdded?.info_hash;
  if (lastAdded?.at && addedName) facts.push([words.lastAdded, h('span', {}, `${addedName}, `, relativeTime(Date.parse(lastAdded.at)))]);
  if (details?.last_failure?.reason) facts.push([words.lastFailure, details.last_failure.reason]);
  return facts;
}

function timeOrNever(iso: string | null | undefined): string | Node {
  return iso ? relativeTime(Date.parse(iso)) : t().never;
}
