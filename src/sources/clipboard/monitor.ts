/**
 * The clipboard monitor: reads the clipboard when it changes (change notifications where the desktop
 * has them, else adaptive polling), sends each new torrent link where the clipboard rules say, and
 * publishes `status.clipboard_monitor`. Text that holds no link never leaves it. A link qBittorrent
 * cannot take now (down, unreachable, not configured) is kept as pending until it does.
 */
import { DEFAULT_CONFIG } from '../../config/defaults.js';
import { type Logger, silentLogger } from '../../config/logger.js';
import type { Config } from '../../config/schema.js';
import {
  type AddedLink,
  type ClipboardDetection,
  type ClipboardMonitorState,
  type ClipboardStatus,
  EventName,
  type FailedLink,
  type LinkSource,
  type LinkSummary,
  type Placement,
  type RuleCounts,
} from '../../protocol/index.js';
import { type BackoffOptions, backoffDelay } from '../../protocol/backoff.js';
import { type ClipboardAddStore, createInMemoryClipboardAddStore } from '../../store/clipboard-add-store.js';
import { createInMemoryPendingLinkStore, type PendingLinkStore, type StoredPendingLink } from '../../store/pending-link-store.js';
import { createInMemorySeenStore, type SeenStore } from '../../store/seen-store.js';
import { type ChangeWatcher, changeWatcherFor, type StartChangeWatcher, WatchUnavailableError } from './change-watcher.js';
import { findTorrentLinks, type TorrentFileRef, type TorrentLink, type ValidTorrentLink } from './find-torrent-links.js';
import { ClipboardUnavailableError, type ReadClipboard, readClipboard as readSystemClipboard } from './read-clipboard.js';
import { type Decision, decide } from './rules.js';
import { readTorrentFile } from './torrent-file.js';

/** What became of each link of a submitted text. */
export type SubmitResult = {
  added: LinkSummary[];
  /** Kept until qBittorrent can take them, retried meanwhile. */
  pending: LinkSummary[];
  duplicates: LinkSummary[];
  failed: Array<LinkSummary & { reason: string }>;
  skipped: LinkSummary[];
};

/** Where qBittorrent is told to put one link. */
export interface AddRequest {
  /** The magnet link or .torrent URL; for a .torrent file, its file:// URI (the file itself is in `file`). */
  url: string;
  file?: { fileName: string; bytes: Uint8Array<ArrayBuffer> };
  category?: string;
  savePath?: string;
  tags: string[];
  paused: boolean;
}

export interface ClipboardMonitorOptions {
  /** Longest seconds between clipboard reads, while nothing changes. Default: `check_interval`'s. */
  checkIntervalSec?: number;
  /** Seconds between reads right after a change; the wait doubles at every unchanged read up to checkIntervalSec. Default: `clipboard.fast_check_interval`'s. */
  fastCheckIntervalSec?: number;
  /** Seconds between read attempts while the clipboard is unavailable (never shorter than checkIntervalSec). Default 5. */
  unavailableRetrySec?: number;
  /** Whether to use change notifications where they exist (`clipboard.watch_changes`). Default true. */
  watchChanges?: boolean;
  /** Seconds before a change watcher that failed (or ended) is tried again. Default 60. */
  watchRetrySec?: number;
  /** The running config's `clipboard` section (rules, defaults, accept_bare_hashes), read for every text. Default: the defaults. */
  settings?: () => Config['clipboard'];
  /** Adds one link to qBittorrent; rejects with an Error saying why it could not. */
  addTorrent: (request: AddRequest) => Promise<void>;
  publish: (eventName: typeof EventName.statusClipboardMonitor, data: ClipboardStatus) => void;
  readClipboard?: ReadClipboard;
  /**
   * Starts change notifications. Default: the platform's (XFIXES, wl-paste) when reading the system
   * clipboard, none when `readClipboard` is given. null: always poll.
   */
  startWatcher?: StartChangeWatcher | null;
  /** Keys of torrents already added. Default: in memory, forgotten on restart. */
  seen?: SeenStore;
  /** Every add with its rule and placement. Default: in memory. */
  adds?: ClipboardAddStore;
  /** Links qBittorrent could not take yet, kept until it does. Default: in memory. */
  pending?: PendingLinkStore;
  /** Whether an addTorrent error says qBittorrent cannot take links now (keep the link, retry) rather than refused this one. Default: never. */
  isTemporary?: (error: unknown) => boolean;
  /** Delays between the tries of a pending link (the shared backoff). Default: 1 s doubling up to 60 s. */
  retryBackoff?: () => BackoffOptions;
  logger?: Logger;
}

export type ReconfigurableOptions = Pick<ClipboardMonitorOptions, 'checkIntervalSec' | 'fastCheckIntervalSec' | 'watchChanges'>;

export interface ClipboardMonitor {
  /** Starts watching or polling; the first read is immediate. Never throws: an unreadable clipboard is a status. */
  start(): void;
  /** Stops and waits for a read in progress to finish. */
  stop(): Promise<void>;
  status(): ClipboardStatus;
  /** Applies from the next poll on: a pending wait is cut to the new interval. */
  reconfigure(options: ReconfigurableOptions): void;
  /** Adds the links found in `text` (from `POST /api/v1/torrents`), counted like copied ones, whether or not the monitor runs. */
  submit(text: string, source: LinkSource): Promise<SubmitResult>;
  /** Who added the torrent with this key (info-hash), while it is being added or after: undefined if not the service. */
  sourceOf(key: string): LinkSource | undefined;
  /** Tries every pending link now (qBittorrent is back, or the service started); those still pending are retried on the backoff. Runs whether or not the monitor reads the clipboard. */
  retryPending(): Promise<void>;
  /** stop(), and no more retries of pending links (they stay kept): the service is shutting down. */
  close(): Promise<void>;
}

const DEFAULT_UNAVAILABLE_RETRY_SEC = 5;
const DEFAULT_WATCH_RETRY_SEC = 60;
/** How many recent adds and failures (and the first pending links) the status carries. */
export const RECENT_LIMIT = 10;
/** At most this many links pending, and this many bytes of .torrent files among them: past that, a link qBittorrent cannot take fails. */
export const MAX_PENDING_LINKS = 1000;
export const MAX_PENDING_FILE_BYTES = 256 * 2 ** 20;
/** The shortest wait between two tries of a pending link (full jitter can draw 0). */
const MIN_RETRY_DELAY_MS = 100;
/** How many failed links a repeated copy can retry (their keys are kept in memory, newest). */
const FAILED_MEMORY = 1000;
const DEFAULT_RETRY_BACKOFF: BackoffOptions = { initialDelayMs: 1000, maxDelayMs: 60_000 };

export function createClipboardMonitor(options: ClipboardMonitorOptions): ClipboardMonitor {
  const read = options.readClipboard ?? readSystemClipboard;
  const startWatcher =
    options.startWatcher === undefined
      ? options.readClipboard
        ? undefined
        : changeWatcherFor(process.platform, process.env)
      : (options.startWatcher ?? undefined);
  let watchChanges = options.watchChanges ?? true;
  const settings = options.settings ?? (() => DEFAULT_CONFIG.clipboard);
  const seen = options.seen ?? createInMemorySeenStore();
  const adds = options.adds ?? createInMemoryClipboardAddStore();
  const pendingStore = options.pending ?? createInMemoryPendingLinkStore();
  const isTemporary = options.isTemporary ?? (() => false);
  const retryBackoff = options.retryBackoff ?? (() => DEFAULT_RETRY_BACKOFF);
  const logger = options.logger ?? silentLogger;
  const retryMs = secondsToMs(options.unavailableRetrySec ?? DEFAULT_UNAVAILABLE_RETRY_SEC, 'unavailableRetrySec');
  const watchRetryMs = secondsToMs(options.watchRetrySec ?? DEFAULT_WATCH_RETRY_SEC, 'watchRetrySec');
  let slowestMs = secondsToMs(options.checkIntervalSec ?? DEFAULT_CONFIG.check_interval, 'checkIntervalSec');
  let fastestMs = secondsToMs(options.fastCheckIntervalSec ?? DEFAULT_CONFIG.clipboard.fast_check_interval, 'fastCheckIntervalSec');
  /** The wait before the next poll: fastestMs right after a change, doubling up to slowestMs. */
  let intervalMs = slowestMs;

  const counts = { processed_count: 0, successful_adds: 0, failed_adds: 0, duplicates_skipped: 0, skipped: 0 };
  const ruleCounts = new Map<string | null, Omit<RuleCounts, 'rule'>>();
  let lastAdded: AddedLink | null = null;
  let lastFailure: FailedLink | null = null;
  let lastSkipped: AddedLink | null = null;
  const recentAdds: AddedLink[] = adds.recent(RECENT_LIMIT);
  const recentFailures: FailedLink[] = [];
  let lastCheck: string | null = null;
  let unreadableReason: string | null = null;
  let lastPublished: string | undefined;

  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let poll: Promise<void> | undefined;
  let lastText: string | undefined;
  let watcher: ChangeWatcher | undefined;
  let watchReason: string | null = null;
  let watchTimer: NodeJS.Timeout | undefined;
  let watchStarting: Promise<void> | undefined;
  /** A change was announced while a read was in progress: read again after it. */
  let changedDuringRead = false;
  /** Keys being added right now (with who adds them), so that a torrent copied and posted at once is added once. */
  const claimed = new Map<string, LinkSource>();
  /** The change watcher announced a change not read yet: the same text copied again is a retry of its failed and pending links. */
  let announced = false;

  /** Pending links by key, in the order they are retried (first kept first). */
  const pendingLinks = new Map<string, StoredPendingLink>(pendingStore.all().map((kept) => [kept.key, kept]));
  let pendingFileBytes = [...pendingLinks.values()].reduce((sum, kept) => sum + (kept.file?.bytes.byteLength ?? 0), 0);
  /** Keys (valid links) and texts (invalid ones) whose last try failed: what a repeated copy retries. */
  const failedLinks = new Set<string>();
  let retryTimer: NodeJS.Timeout | undefined;
  let retryRun: Promise<void> | undefined;
  let rerun: 'all' | 'due' | undefined;
  let closed = false;

  function status(): ClipboardStatus {
    const state: ClipboardMonitorState = !running ? 'stopped' : unreadableReason === null ? 'running' : 'unavailable';
    const detection: ClipboardDetection = watcher?.method ?? 'polling';
    return {
      component: 'clipboard_monitor',
      status: state,
      // A live change watcher checks all the time: a change now would be read now.
      last_check: state === 'running' && watcher !== undefined ? new Date().toISOString() : lastCheck,
      details: {
        ...counts,
        reason: state === 'unavailable' ? unreadableReason : null,
        last_added: lastAdded,
        last_failure: lastFailure,
        last_skipped: lastSkipped,
        recent_adds: [...recentAdds],
        recent_failures: [...recentFailures],
        pending: [...pendingLinks.values()].slice(0, RECENT_LIMIT).map((kept) => ({ ...kept.link, tags: [...kept.link.tags] })),
        pending_count: pendingLinks.size,
        rules: ruleCountList(),
        detection,
        detection_reason: detection === 'polling' && running ? watchReason : null,
      },
    };
  }

  /** The configured rules in order, then the rules no longer configured that have counts, then null (no rule matched). */
  function ruleCountList(): RuleCounts[] {
    const names: Array<string | null> = settings().rules.map((rule) => rule.name);
    for (const name of ruleCounts.keys()) if (name !== null && !names.includes(name)) names.push(name);
    names.push(null);
    return names.map((rule) => ({ rule, ...(ruleCounts.get(rule) ?? { added: 0, skipped: 0, failed: 0 }) }));
  }

  function countFor(rule: string | null, outcome: 'added' | 'skipped' | 'failed'): void {
    const entry = ruleCounts.get(rule) ?? { added: 0, skipped: 0, failed: 0 };
    entry[outcome] += 1;
    ruleCounts.set(rule, entry);
  }

  function publishIfChanged(): void {
    const current = status();
    // last_check moves at every poll: only a change of anything else is news.
    const signature = JSON.stringify({ ...current, last_check: null });
    if (signature === lastPublished) return;
    lastPublished = signature;
    options.publish(EventName.statusClipboardMonitor, current);
  }

  function schedule(delayMs: number): void {
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), delayMs);
  }

  async function tick(): Promise<void> {
    timer = undefined;
    // A read still running from before a stop() and start(), or a change announced meanwhile, is joined, never doubled.
    if (poll) {
      changedDuringRead = true;
      return;
    }
    poll = pollOnce().finally(() => {
      poll = undefined;
    });
    await poll;
    if (!running || timer !== undefined) return;
    if (changedDuringRead) {
      changedDuringRead = false;
      schedule(0);
    } else if (watcher === undefined || unreadableReason !== null) {
      schedule(nextDelayMs());
    }
  }

  function nextDelayMs(): number {
    return unreadableReason === null ? intervalMs : Math.max(slowestMs, retryMs);
  }

  async function pollOnce(): Promise<void> {
    try {
      // Taken before the read: an announcement that comes during it is for the next read.
      const wasAnnounced = announced;
      announced = false;
      const text = await readText();
      const changed = running && text !== undefined && text !== lastText;
      // Adaptive polling: a change brings the next reads close together (a user copying several links one after another), calm lets them drift apart.
      intervalMs = changed ? fastestMs : Math.min(intervalMs * 2, slowestMs);
      if (changed) {
        lastText = text;
        await processText(text, 'clipboard');
      } else if (running && wasAnnounced && text !== undefined) {
        // Copied again: the same text, but a new copy (a polled clipboard cannot tell).
        await processText(text, 'clipboard', true);
      }
      publishIfChanged();
    } catch (error) {
      logger.error({ err: error }, 'clipboard poll failed');
    }
  }

  /** The clipboard's text, or undefined when it cannot be read (the reason is kept for the status). */
  async function readText(): Promise<string | undefined> {
    try {
      const text = await read();
      if (unreadableReason !== null) logger.info({}, 'clipboard readable again');
      unreadableReason = null;
      return text;
    } catch (error) {
      const reason = error instanceof ClipboardUnavailableError ? error.reason : errorMessage(error);
      if (reason !== unreadableReason) logger.warn({ reason }, 'clipboard unavailable');
      unreadableReason = reason;
      return undefined;
    } finally {
      lastCheck = new Date().toISOString();
    }
  }

  function watch(): Promise<void> {
    watchTimer = undefined;
    if (!running || !watchChanges || startWatcher === undefined || watcher !== undefined) return Promise.resolve();
    // One start at a time: a toggle back and forth while a helper starts must not start a second one.
    watchStarting ??= startWatching(startWatcher).finally(() => {
      watchStarting = undefined;
    });
    return watchStarting;
  }

  async function startWatching(startWatcher: StartChangeWatcher): Promise<void> {
    try {
      const started = await startWatcher({
        onChange: () => {
          if (!running || watcher !== started) return;
          announced = true;
          schedule(0);
        },
        onEnd: (reason) => {
          if (watcher !== started) return;
          logger.warn({ reason }, 'clipboard change notifications ended: polling');
          watcher = undefined;
          fallBackToPolling(reason, false);
        },
      });
      if (!running || !watchChanges) {
        started.stop();
        return;
      }
      watcher = started;
      watchReason = null;
      logger.info({ method: started.method }, 'clipboard read on change notifications');
      // No more polling: the next read comes with the next change (reading once now catches one made while starting).
      schedule(0);
    } catch (error) {
      const unavailable = error instanceof WatchUnavailableError ? error : new WatchUnavailableError(errorMessage(error), false);
      if (unavailable.reason !== watchReason) logger.info({ reason: unavailable.reason }, 'no clipboard change notifications: polling');
      fallBackToPolling(unavailable.reason, unavailable.permanent);
    }
    // Before the first read there is nothing to say yet: that read publishes.
    if (lastCheck !== null) publishIfChanged();
  }

  function fallBackToPolling(reason: string, permanent: boolean): void {
    watchReason = reason;
    if (!running) return;
    if (timer === undefined && poll === undefined) schedule(0);
    if (!permanent) watchTimer = setTimeout(() => void watch(), watchRetryMs);
  }

  /**
   * Adds the new links of `text`, retries its pending ones now. `repeat`: the same text copied again,
   * which retries its pending and failed links and leaves the others alone (already counted).
   */
  async function processText(text: string, source: LinkSource, repeat = false): Promise<SubmitResult> {
    const result: SubmitResult = { added: [], pending: [], duplicates: [], failed: [], skipped: [] };
    const fresh: ValidTorrentLink[] = [];
    const retries: StoredPendingLink[] = [];
    const links = findTorrentLinks(text, { acceptBareHashes: settings().accept_bare_hashes });
    // How many links, never what else the text held.
    logger.debug({ source, links: links.length, repeat }, 'text checked for links');
    for (const found of links) {
      if (repeat && !failedLinks.has(found.raw) && !('valid' in found && found.valid && isRetryable(keysOf(found)))) continue;
      const link = 'unread' in found ? await readLocalFile(found, source) : found;
      if (!link.valid) {
        recordFailure(summarize(link), link.reason, source, result, [link.raw]);
        continue;
      }
      const keys = keysOf(link);
      const pending = pendingOf(keys);
      if (keys.some((key) => claimed.has(key)) || (!pending && keys.some((key) => seen.has(key)))) {
        counts.duplicates_skipped += 1;
        result.duplicates.push(summarize(link));
      } else {
        for (const key of keys) claimed.set(key, source);
        if (pending) retries.push(pending);
        else fresh.push(link);
      }
    }
    // A pending link copied (or posted) again is tried now, where its rule said when it was first seen.
    for (const kept of retries) {
      await attempt(kept, result);
      for (const key of keysOfKept(kept)) claimed.delete(key);
    }
    for (const link of fresh) {
      await place(link, source, result);
      for (const key of keysOf(link)) claimed.delete(key);
    }
    publishIfChanged();
    return result;
  }

  function isRetryable(keys: string[]): boolean {
    return pendingOf(keys) !== undefined || keys.some((key) => failedLinks.has(key));
  }

  function pendingOf(keys: string[]): StoredPendingLink | undefined {
    for (const key of keys) {
      const kept = pendingLinks.get(key);
      if (kept) return kept;
    }
    for (const kept of pendingLinks.values()) if (kept.aliases.some((alias) => keys.includes(alias))) return kept;
    return undefined;
  }

  /** Local files are taken from the clipboard only: a remote API client must not make the service read files. */
  function readLocalFile(found: TorrentFileRef, source: LinkSource): Promise<TorrentLink> {
    if (source === 'clipboard') return readTorrentFile(found);
    return Promise.resolve({
      valid: false,
      kind: 'torrent_file',
      raw: found.raw,
      name: null,
      reason: 'local .torrent files are taken from the clipboard only, not from the API',
    });
  }

  /** Decides where the link goes and adds it there (or skips it); kept as pending first, so that not even a kill during the add loses it. */
  async function place(link: ValidTorrentLink, source: LinkSource, result: SubmitResult): Promise<void> {
    const decision = decide(link, settings(), (rule, field) => {
      logger.warn({ rule, field }, 'clipboard rule: its regular expression ran past its time limit and counts as no match');
    });
    const placement = placementOf(decision);
    if (decision.skip) {
      countFor(decision.rule, 'skipped');
      counts.skipped += 1;
      lastSkipped = { ...summarize(link), ...placement, source, at: new Date().toISOString() };
      result.skipped.push(summarize(link));
      logger.info({ ...summarize(link), rule: decision.rule, source }, 'torrent skipped by a clipboard rule');
      return;
    }
    const kept: StoredPendingLink = {
      key: link.key,
      aliases: link.aliases,
      url: link.url,
      file: link.file ?? null,
      link: { ...summarize(link), ...placement, source, at: new Date().toISOString(), attempts: 0, next_retry_at: null, reason: null },
    };
    const full = noRoomFor(kept);
    const written = full === undefined && writePending(kept);
    await attempt(kept, result, written ? undefined : (full ?? 'the pending links could not be written'));
  }

  /** Why there is no room to keep another pending link, or undefined when there is. */
  function noRoomFor(kept: StoredPendingLink): string | undefined {
    if (pendingLinks.size >= MAX_PENDING_LINKS) return `${MAX_PENDING_LINKS} links are pending already`;
    if (pendingFileBytes + (kept.file?.bytes.byteLength ?? 0) > MAX_PENDING_FILE_BYTES) {
      return `the pending .torrent files hold ${MAX_PENDING_FILE_BYTES / 2 ** 20} MiB already`;
    }
    return undefined;
  }

  function writePending(kept: StoredPendingLink): boolean {
    try {
      pendingStore.put(kept);
      return true;
    } catch (error) {
      logger.error({ err: error, ...summaryOf(kept) }, 'a pending link could not be written');
      return false;
    }
  }

  /**
   * One try at adding a kept link: added, or still pending when qBittorrent cannot take it now (unless
   * `cannotKeep` says why it could not be kept), or failed when qBittorrent refused it.
   */
  async function attempt(kept: StoredPendingLink, result?: SubmitResult, cannotKeep?: string): Promise<'added' | 'pending' | 'failed'> {
    const { link } = kept;
    const placement = placementOf({ ...link, skip: false });
    try {
      await options.addTorrent({
        url: kept.url,
        file: kept.file ?? undefined,
        category: link.category ?? undefined,
        savePath: link.save_path ?? undefined,
        tags: link.tags,
        paused: link.paused,
      });
    } catch (error) {
      const temporary = isTemporary(error);
      const reason = temporary && cannotKeep !== undefined ? `${errorMessage(error)} (not kept: ${cannotKeep})` : errorMessage(error);
      if (temporary && cannotKeep === undefined) {
        keepPending(kept, reason);
        result?.pending.push(summaryOf(kept));
        return 'pending';
      }
      forgetPending(kept);
      // A refused link is not marked seen, so that copying it again retries.
      countFor(link.rule, 'failed');
      recordFailure(summaryOf(kept), reason, link.source, result, keysOfKept(kept), placement);
      return 'failed';
    }
    forgetPending(kept);
    recordAdded(kept, placement, result);
    return 'added';
  }

  function keepPending(kept: StoredPendingLink, reason: string): void {
    const { link } = kept;
    link.attempts += 1;
    link.reason = reason;
    link.next_retry_at = new Date(Date.now() + Math.max(MIN_RETRY_DELAY_MS, backoffDelay(link.attempts, retryBackoff()))).toISOString();
    writePending(kept);
    if (!pendingLinks.has(kept.key)) {
      pendingLinks.set(kept.key, kept);
      pendingFileBytes += kept.file?.bytes.byteLength ?? 0;
      logger.warn({ ...summaryOf(kept), source: link.source, rule: link.rule, reason }, 'torrent pending: qBittorrent cannot take it now');
    }
    scheduleRetry();
  }

  function forgetPending(kept: StoredPendingLink): void {
    if (pendingLinks.delete(kept.key)) pendingFileBytes -= kept.file?.bytes.byteLength ?? 0;
    try {
      pendingStore.remove(kept.key);
    } catch (error) {
      // Left behind, it is tried again after a restart, and qBittorrent refuses the duplicate.
      logger.error({ err: error, ...summaryOf(kept) }, 'a pending link could not be removed');
    }
  }

  /** Retries the pending links: all of them, or those whose time has come. One run at a time; a request meanwhile runs after it. */
  function requestRetry(mode: 'all' | 'due'): Promise<void> {
    if (closed) return Promise.resolve();
    if (retryRun) {
      if (rerun !== 'all') rerun = mode;
      return retryRun;
    }
    retryRun = (async () => {
      let next: 'all' | 'due' | undefined = mode;
      while (next !== undefined && !closed) {
        rerun = undefined;
        await retryPass(next === 'all');
        next = rerun;
      }
    })().finally(() => {
      retryRun = undefined;
    });
    return retryRun;
  }

  async function retryPass(all: boolean): Promise<void> {
    clearTimeout(retryTimer);
    retryTimer = undefined;
    const now = Date.now();
    /** Set once qBittorrent could not take one: the others due wait with it rather than each waiting out a timeout now. */
    let deferUntil: string | null = null;
    let tried = false;
    for (const kept of [...pendingLinks.values()]) {
      if (closed) break;
      const due = all || kept.link.next_retry_at === null || Date.parse(kept.link.next_retry_at) <= now;
      const keys = keysOfKept(kept);
      if (!due || keys.some((key) => claimed.has(key))) continue;
      if (deferUntil !== null) {
        kept.link.next_retry_at = deferUntil;
        continue;
      }
      for (const key of keys) claimed.set(key, kept.link.source);
      tried = true;
      try {
        if ((await attempt(kept)) === 'pending') deferUntil = kept.link.next_retry_at;
      } finally {
        for (const key of keys) claimed.delete(key);
      }
    }
    if (tried) publishIfChanged();
    scheduleRetry();
  }

  /** Arms the timer for the pending link due first. */
  function scheduleRetry(): void {
    clearTimeout(retryTimer);
    retryTimer = undefined;
    if (closed || pendingLinks.size === 0) return;
    let first = Number.POSITIVE_INFINITY;
    for (const kept of pendingLinks.values()) {
      first = Math.min(first, kept.link.next_retry_at === null ? 0 : Date.parse(kept.link.next_retry_at));
    }
    retryTimer = setTimeout(() => void requestRetry('due'), Math.max(0, first - Date.now()));
  }

  function recordAdded(kept: StoredPendingLink, placement: Placement, result?: SubmitResult): void {
    const keys = keysOfKept(kept);
    const { source } = kept.link;
    for (const key of keys) {
      seen.add(key, source);
      failedLinks.delete(key);
    }
    const summary = summaryOf(kept);
    const added: AddedLink = { ...summary, ...placement, source, at: new Date().toISOString() };
    adds.record(kept.key, added);
    countFor(placement.rule, 'added');
    counts.processed_count += 1;
    counts.successful_adds += 1;
    lastAdded = added;
    keepRecent(recentAdds, added);
    result?.added.push(summary);
    logger.info({ ...summary, source, rule: placement.rule, attempts: kept.link.attempts + 1 }, 'torrent added');
  }

  /** A failure: counted, shown with its reason; `marks` (its keys, or the text of an invalid link) let a repeated copy retry it. */
  function recordFailure(
    summary: LinkSummary,
    reason: string,
    source: LinkSource,
    result: SubmitResult | undefined,
    marks: string[],
    placement?: Placement,
  ): void {
    for (const mark of marks) {
      failedLinks.delete(mark);
      failedLinks.add(mark);
    }
    for (const oldest of failedLinks) {
      if (failedLinks.size <= FAILED_MEMORY) break;
      failedLinks.delete(oldest);
    }
    counts.processed_count += 1;
    counts.failed_adds += 1;
    lastFailure = { ...summary, ...placement, source, reason, at: new Date().toISOString() };
    keepRecent(recentFailures, lastFailure);
    result?.failed.push({ ...summary, reason });
    logger.warn({ ...summary, source, reason, rule: placement?.rule }, 'torrent not added');
  }

  async function stop(): Promise<void> {
    running = false;
    clearTimeout(timer);
    clearTimeout(watchTimer);
    timer = undefined;
    watchTimer = undefined;
    watcher?.stop();
    watcher = undefined;
    await Promise.all([poll, watchStarting]);
    publishIfChanged();
  }

  return {
    start() {
      if (running) return;
      running = true;
      unreadableReason = null;
      intervalMs = slowestMs;
      // What is on the clipboard at start counts as new; the seen store keeps it from being added twice.
      lastText = undefined;
      schedule(0);
      void watch();
    },
    stop,
    status,
    reconfigure(changes) {
      if (changes.checkIntervalSec !== undefined) slowestMs = secondsToMs(changes.checkIntervalSec, 'checkIntervalSec');
      if (changes.fastCheckIntervalSec !== undefined) fastestMs = secondsToMs(changes.fastCheckIntervalSec, 'fastCheckIntervalSec');
      intervalMs = Math.min(Math.max(intervalMs, fastestMs), slowestMs);
      if (changes.watchChanges !== undefined && changes.watchChanges !== watchChanges) {
        watchChanges = changes.watchChanges;
        clearTimeout(watchTimer);
        watcher?.stop();
        watcher = undefined;
        watchReason = null;
        if (running && watchChanges) void watch();
        if (running && !watchChanges && timer === undefined && poll === undefined) schedule(0);
      }
      // A poll in progress schedules the next one itself, with the new interval.
      if (timer !== undefined && watcher === undefined) schedule(nextDelayMs());
      publishIfChanged();
    },
    submit: (text, source) => processText(text, source),
    retryPending: () => requestRetry('all'),
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      await stop();
      await retryRun;
    },
    sourceOf: (key) => claimed.get(key) ?? seen.sourceOf(key),
  };
}

function placementOf({ rule, category, tags, save_path, paused }: Decision): Placement {
  return { rule, category, tags, save_path, paused };
}

function keepRecent<T>(list: T[], item: T): void {
  list.unshift(item);
  list.length = Math.min(list.length, RECENT_LIMIT);
}

/** The keys under which an added link is remembered: a hybrid magnet under both its hashes. */
function keysOf(link: ValidTorrentLink): string[] {
  return [link.key, ...link.aliases];
}

function summarize(link: TorrentLink): LinkSummary {
  return { kind: link.kind, info_hash: link.valid ? link.infoHash : null, name: link.name };
}

function summaryOf({ link }: StoredPendingLink): LinkSummary {
  return { kind: link.kind, info_hash: link.info_hash, name: link.name };
}

function keysOfKept(kept: StoredPendingLink): string[] {
  return [kept.key, ...kept.aliases];
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)) || 'unknown error';
}

function secondsToMs(seconds: number, name: string): number {
  if (!Number.isFinite(seconds) || seconds <= 0) throw new RangeError(`${name} must be a positive number of seconds, got ${seconds}`);
  return Math.round(seconds * 1000);
}
