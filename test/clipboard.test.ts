/** The clipboard monitor against a real X11 clipboard: Xvfb is the display, xclip the user who copies. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { changeWatcherFor } from '../src/sources/clipboard/change-watcher.js';
import { after, before, describe, test, type TestContext } from 'node:test';
import {
  ClipboardUnavailableError,
  createClipboardReader,
  DEFAULT_MAX_CLIPBOARD_BYTES,
  type ReadClipboard,
} from '../src/sources/clipboard/read-clipboard.js';
import type { ClipboardStatus } from '../src/protocol/index.js';
import {
  type AddRequest,
  type ClipboardMonitor,
  type ClipboardMonitorOptions,
  createClipboardMonitor,
  MAX_PENDING_LINKS,
} from '../src/sources/clipboard/monitor.js';
import { createInMemorySeenStore } from '../src/store/seen-store.js';
import { createRecorder, type Recorder } from './support/recorder.js';
import { startXvfb, XVFB_SKIP_REASON, type Xvfb, xvfbToolsInstalled } from './support/xvfb.js';

// Sintel's info-hash in hex and in base32, and two more torrents.
const SINTEL_HEX = '08ada5a7a6183aae1e09d831df6748d566095a10';
const SINTEL_BASE32 = 'BCW2LJ5GDA5K4HQJ3AY56Z2I2VTASWQQ';
const SECOND_HEX = 'dd8255ecdc7ca55fb0bbf81323d87062db1f6d1c';
const THIRD_HEX = 'c9e15763f722f23e98a29decdfae341b98d53056';
const magnet = (hash: string, name: string) => `magnet:?xt=urn:btih:${hash}&dn=${encodeURIComponent(name)}`;
const FAST_POLL_SEC = 0.05;

function rejectClipboard(reason: string): (error: unknown) => boolean {
  return (error) => error instanceof ClipboardUnavailableError && error.reason === reason;
}

/** A qBittorrent stand-in that records what it is given, and refuses while told to. */
function fakeQbittorrent() {
  const calls: string[] = [];
  const requests: AddRequest[] = [];
  let refusal: string | undefined;
  return {
    calls,
    requests,
    refuse(reason: string | undefined) {
      refusal = reason;
    },
    async addTorrent(request: AddRequest) {
      calls.push(request.url);
      requests.push(request);
      if (refusal !== undefined) throw new Error(refusal);
    },
  };
}

interface Harness {
  monitor: ClipboardMonitor;
  events: Recorder<ClipboardStatus>;
  qbittorrent: ReturnType<typeof fakeQbittorrent>;
  /** The first event with these counters, whatever else it says. */
  counters(expected: Partial<ClipboardStatus['details']>): Promise<ClipboardStatus>;
}

/** A started monitor, stopped when the test ends. */
function startMonitor(t: TestContext, options: Partial<ClipboardMonitorOptions>): Harness {
  const events = createRecorder<ClipboardStatus>();
  const qbittorrent = fakeQbittorrent();
  const monitor = createClipboardMonitor({
    checkIntervalSec: FAST_POLL_SEC,
    addTorrent: qbittorrent.addTorrent,
    publish: (name, data) => {
      assert.equal(name, 'status.clipboard_monitor');
      events.record(structuredClone(data));
    },
    ...options,
  });
  t.after(() => monitor.stop());
  monitor.start();
  return {
    monitor,
    events,
    qbittorrent,
    counters: (expected) =>
      events.waitFor(
        (event) => Object.entries(expected).every(([key, value]) => event.details[key as keyof typeof expected] === value),
        `an event with ${JSON.stringify(expected)}`,
      ),
  };
}

describe('clipboard', () => {
  let xvfb: Xvfb | undefined;
  before(async () => {
    if (xvfbToolsInstalled()) xvfb = await startXvfb();
  });
  after(() => xvfb?.stop());

  /** The running Xvfb, or undefined after marking the test skipped. */
  function requireXvfb(t: TestContext): Xvfb | undefined {
    if (!xvfb) t.skip(XVFB_SKIP_REASON);
    return xvfb;
  }

  /** A reader of the Xvfb clipboard, and the clipboard emptied of links so that a new monitor starts from nothing. */
  async function xvfbClipboard(x: Xvfb): Promise<ReadClipboard> {
    await x.copy('nothing to see here');
    return createClipboardReader({ env: x.env });
  }

  describe('read-clipboard', () => {
    test('a clipboard nobody copied to reads as empty, not as an error', async (t) => {
      const x = requireXvfb(t);
      if (!x) return;
      assert.equal(await createClipboardReader({ env: x.env })(), '');
    });

    test('text copied with xclip reads back exactly: UTF-8, several lines', async (t) => {
      const x = requireXvfb(t);
      if (!x) return;
      const text = `${magnet(SINTEL_HEX, 'Sintel')}\n中文名 — ünïcode\r\n\tlast line`;
      await x.copy(text);
      assert.equal(await createClipboardReader({ env: x.env })(), text);
    });

    test('a 10 MB copy is read up to the cap, cut after a whole word', async (t) => {
      const x = requireXvfb(t);
      if (!x) return;
      const link = magnet(SINTEL_HEX, 'Sintel');
      await x.copy(`${link} ${'filler '.repeat(Math.ceil((10 * 1024 * 1024) / 7))}`);
      const text = await createClipboardReader({ env: x.env })();
      assert.ok(text.startsWith(`${link} filler `));
      assert.ok(Buffer.byteLength(text) <= DEFAULT_MAX_CLIPBOARD_BYTES);
      assert.ok(Buffer.byteLength(text) > DEFAULT_MAX_CLIPBOARD_BYTES - 'filler '.length);
      assert.ok(text.endsWith('filler '));
    });

    test('no DISPLAY: a typed error with a plain reason', async () => {
      const read = createClipboardReader({ platform: 'linux', env: { PATH: process.env.PATH } });
      await assert.rejects(read(), rejectClipboard('no display: DISPLAY is not set (headless server)'));
    });

    test('DISPLAY naming a display with no X server: the reason says so', async (t) => {
      if (!requireXvfb(t)) return;
      const number = [...Array(100).keys()].map((n) => 4200 + n).find((n) => !existsSync(`/tmp/.X${n}-lock`));
      const read = createClipboardReader({ platform: 'linux', env: { PATH: process.env.PATH, DISPLAY: `:${number}` } });
      await assert.rejects(read(), rejectClipboard(`cannot open display :${number} (is the X server running?)`));
    });

    test('a clipboard tool that hangs is cut off at the timeout', async (t) => {
      const bin = mkdtempSync(join(tmpdir(), 'qbtm-hanging-xclip-'));
      t.after(() => rmSync(bin, { recursive: true, force: true }));
      // exec: the timeout's SIGTERM then ends the sleep itself, leaving nothing behind.
      writeFileSync(join(bin, 'xclip'), '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
      const read = createClipboardReader({
        platform: 'linux',
        env: { PATH: `${bin}${delimiter}${process.env.PATH}`, DISPLAY: ':0' },
        timeoutMs: 200,
      });
      await assert.rejects(read(), rejectClipboard('xclip timed out after 200 ms'));
    });

    test('no clipboard tool installed: the reason names it', async () => {
      const read = createClipboardReader({ platform: 'linux', env: { PATH: '/nonexistent', DISPLAY: ':0' } });
      await assert.rejects(read(), rejectClipboard('xclip not installed (nor xsel)'));
    });
  });

  describe('monitor', () => {
    test('picks up a copied magnet, adds it, and publishes the counters', async (t) => {
      const x = requireXvfb(t);
      if (!x) return;
      const readXvfb = await xvfbClipboard(x);
      const reads = createRecorder<string>();
      const readClipboard = async () => {
        const text = await readXvfb();
        reads.record(text);
        return text;
      };
      const { monitor, qbittorrent, events, counters } = startMonitor(t, { readClipboard });
      const idle = await events.waitFor((event) => event.status === 'running', 'the running status');
      assert.deepEqual(idle.details, {
        processed_count: 0,
        successful_adds: 0,
        failed_adds: 0,
        duplicates_skipped: 0,
        skipped: 0,
        reason: null,
        last_added: null,
        last_failure: null,
        last_skipped: null,
        recent_adds: [],
        recent_failures: [],
        pending: [],
        pending_count: 0,
        rules: [{ rule: null, added: 0, skipped: 0, failed: 0 }],
        detection: 'polling',
        detection_reason: null,
      });

      const link = magnet(SINTEL_HEX, 'Sintel');
      await x.copy(`look at this: ${link}`);
      const added = await counters({ processed_count: 1, successful_adds: 1, failed_adds: 0 });
      assert.deepEqual(qbittorrent.calls, [link]);
      assert.equal(added.component, 'clipboard_monitor');
      assert.equal(added.status, 'running');
      assert.match(added.last_check ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.equal(added.details.last_added?.info_hash, SINTEL_HEX);
      assert.equal(added.details.last_added?.name, 'Sintel');
      assert.equal(added.details.last_added?.source, 'clipboard');

      await reads.waitForCount(reads.items.length + 3);
      assert.equal(events.items.length, 2, 'unchanged polls publish nothing');
      assert.ok((monitor.status().last_check ?? '') > (added.last_check ?? ''), 'status() keeps last_check current');
    });

    test('two magnets in one copy are both added', async (t) => {
      const x = requireXvfb(t);
      if (!x) return;
      const { qbittorrent, counters } = startMonitor(t, { readClipboard: await xvfbClipboard(x) });
      const links = [magnet(SINTEL_HEX, 'Sintel'), magnet(SECOND_HEX, 'Second')];
      await x.copy(`first:\n${links[0]}\nsecond: ${links[1]}\n`);
      const added = await counters({ processed_count: 2, successful_adds: 2 });
      assert.deepEqual(qbittorrent.calls, links);
      assert.equal(added.details.last_added?.info_hash, SECOND_HEX);
    });

    test('the same torrent copied again, as base32 with another name, is not added twice', async (t) => {
      const x = requireXvfb(t);
      if (!x) return;
      const { qbittorrent, counters } = startMonitor(t, { readClipboard: await xvfbClipboard(x) });
      await x.copy(magnet(SINTEL_HEX, 'Sintel'));
      await counters({ successful_adds: 1 });
      await x.copy(magnet(SINTEL_BASE32, 'Sintel (another name)'));
      const skipped = await counters({ duplicates_skipped: 1 });
      assert.equal(skipped.details.successful_adds, 1);
      assert.equal(skipped.details.processed_count, 1);
      assert.equal(qbittorrent.calls.length, 1);
    });

    test('the seen store spans a restart: what is on the clipboard is not added again', async (t) => {
      const x = requireXvfb(t);
      if (!x) return;
      const seen = createInMemorySeenStore();
      const readClipboard = await xvfbClipboard(x);
      const first = startMonitor(t, { readClipboard, seen });
      await x.copy(magnet(THIRD_HEX, 'Third'));
      await first.counters({ successful_adds: 1 });
      await first.monitor.stop();

      const second = startMonitor(t, { readClipboard, seen });
      await second.counters({ duplicates_skipped: 1 });
      assert.deepEqual(second.qbittorrent.calls, []);
    });

    test('an invalid magnet counts as a failed add with its reason', async (t) => {
      const x = requireXvfb(t);
      if (!x) return;
      const { qbittorrent, counters } = startMonitor(t, { readClipboard: await xvfbClipboard(x) });
      await x.copy(magnet(SINTEL_HEX.slice(0, 39), 'Short'));
      const failed = await counters({ processed_count: 1, failed_adds: 1, successful_adds: 0 });
      assert.match(failed.details.last_failure?.reason ?? '', /bad info-hash length: 39 characters/);
      assert.equal(failed.details.last_failure?.name, 'Short');
      assert.deepEqual(qbittorrent.calls, []);
    });

    test('a refused add counts as a failure, and copying the link again retries it', async (t) => {
      const x = requireXvfb(t);
      if (!x) return;
      const { qbittorrent, counters } = startMonitor(t, { readClipboard: await xvfbClipboard(x) });
      qbittorrent.refuse('qBittorrent is not configured: set qbittorrent.url');
      const link = magnet(SINTEL_HEX, 'Sintel');
      await x.copy(link);
      const failed = await counters({ failed_adds: 1 });
      assert.equal(failed.details.last_failure?.reason, 'qBittorrent is not configured: set qbittorrent.url');
      assert.equal(failed.details.last_failure?.info_hash, SINTEL_HEX);

      qbittorrent.refuse(undefined);
      await x.copy(`again: ${link}`);
      const added = await counters({ successful_adds: 1, failed_adds: 1, processed_count: 2 });
      assert.equal(added.details.last_added?.info_hash, SINTEL_HEX);
      assert.equal(qbittorrent.calls.length, 2);
    });

    test('no DISPLAY: status unavailable with a plain reason, and start() does not throw', async (t) => {
      const { monitor, events } = startMonitor(t, { readClipboard: createClipboardReader({ platform: 'linux', env: {} }) });
      const unavailable = await events.waitFor((event) => event.status === 'unavailable', 'the unavailable status');
      assert.equal(unavailable.details.reason, 'no display: DISPLAY is not set (headless server)');
      assert.equal(monitor.status().status, 'unavailable');
    });

    test('an unavailable clipboard is tried again, and the monitor recovers when a display appears', async (t) => {
      const x = requireXvfb(t);
      if (!x) return;
      await x.copy(magnet(SECOND_HEX, 'Second'));
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
      const { events, counters } = startMonitor(t, { readClipboard: createClipboardReader({ env }), unavailableRetrySec: FAST_POLL_SEC });
      await events.waitFor((event) => event.status === 'unavailable', 'the unavailable status');
      env.DISPLAY = x.display;
      const recovered = await counters({ successful_adds: 1 });
      assert.equal(recovered.status, 'running');
      assert.equal(recovered.details.reason, null);
    });

    test('submit(text, "api") adds what it finds and counts it like a copy', async (t) => {
      const { monitor, qbittorrent, counters } = startMonitor(t, { readClipboard: async () => '' });
      const result = await monitor.submit(`${magnet(SINTEL_HEX, 'Sintel')} ${magnet('xyz', 'Bad')} ${magnet(SINTEL_BASE32, 'Dup')}`, 'api');
      assert.deepEqual(result.added, [{ kind: 'magnet', info_hash: SINTEL_HEX, name: 'Sintel' }]);
      assert.deepEqual(result.duplicates, [{ kind: 'magnet', info_hash: SINTEL_HEX, name: 'Dup' }]);
      assert.equal(result.failed.length, 1);
      assert.match(result.failed[0]?.reason ?? '', /bad info-hash length/);
      const event = await counters({ processed_count: 2, successful_adds: 1, failed_adds: 1, duplicates_skipped: 1 });
      assert.equal(event.details.last_added?.source, 'api');
      assert.equal(qbittorrent.calls.length, 1);
    });

    test('pending links are bounded: past MAX_PENDING_LINKS a link qBittorrent cannot take fails, saying why', async (t) => {
      const { monitor, qbittorrent } = startMonitor(t, {
        readClipboard: async () => '',
        isTemporary: () => true,
        retryBackoff: () => ({ initialDelayMs: 3_600_000, maxDelayMs: 3_600_000 }),
      });
      t.after(() => monitor.close());
      qbittorrent.refuse('cannot reach qBittorrent');
      const hashes = Array.from({ length: MAX_PENDING_LINKS + 1 }, (_, n) => n.toString(16).padStart(40, '0'));
      const result = await monitor.submit(hashes.map((hash) => magnet(hash, `n${hash}`)).join('\n'), 'api');
      assert.equal(result.pending.length, MAX_PENDING_LINKS);
      assert.equal(result.failed.length, 1);
      assert.match(result.failed[0]?.reason ?? '', /cannot reach qBittorrent \(not kept: 1000 links are pending already\)/);
      const status = monitor.status().details;
      assert.equal(status.pending_count, MAX_PENDING_LINKS);
      assert.equal(status.pending.length, 10);
      assert.equal(status.pending[0]?.info_hash, hashes[0]);
      // Taken again once qBittorrent can: every pending link, in order, none twice.
      qbittorrent.refuse(undefined);
      qbittorrent.calls.length = 0;
      await monitor.retryPending();
      assert.equal(qbittorrent.calls.length, MAX_PENDING_LINKS);
      assert.equal(new Set(qbittorrent.calls).size, MAX_PENDING_LINKS);
      assert.equal(monitor.status().details.pending_count, 0);
      assert.equal(monitor.status().details.successful_adds, MAX_PENDING_LINKS);
    });

    test('reconfigure cuts the pending wait short: the new interval applies from the next tick', async (t) => {
      const reads = createRecorder<number>();
      const { monitor, events } = startMonitor(t, {
        checkIntervalSec: 30,
        readClipboard: async () => {
          reads.record(performance.now());
          return '';
        },
      });
      await untilWaiting(events);
      monitor.reconfigure({ checkIntervalSec: 0.05 });
      const fast = await reads.waitForCount(4);
      assert.ok(gap(fast, 3) < 1000, `reads 30 s apart became ${gap(fast, 3)} ms apart`);

      monitor.reconfigure({ checkIntervalSec: 0.4 });
      const slow = await reads.waitForCount(6);
      assert.ok(gap(slow, 5) >= 350, `the last gap was ${gap(slow, 5)} ms, expected about 400`);
    });

    test('polls never overlap: a slow read does not stack up, and stop() waits for it', async (t) => {
      let reading = 0;
      let mostAtOnce = 0;
      const reads = createRecorder<number>();
      const { monitor, events } = startMonitor(t, {
        checkIntervalSec: 0.01,
        // A read that takes five poll intervals.
        readClipboard: async () => {
          reading += 1;
          mostAtOnce = Math.max(mostAtOnce, reading);
          await new Promise((resolve) => setTimeout(resolve, 50));
          reading -= 1;
          reads.record(performance.now());
          return '';
        },
      });
      await reads.waitForCount(4);
      await monitor.stop();
      assert.equal(mostAtOnce, 1);
      assert.equal(reading, 0);
      assert.equal(monitor.status().status, 'stopped');
      assert.equal(events.items.at(-1)?.status, 'stopped');
    });

    test('adaptive polling: after a change the next read comes at fast_check_interval, then the wait doubles up to check_interval', async (t) => {
      t.mock.timers.enable({ apis: ['setTimeout'] });
      let text = 'first';
      let reads = 0;
      const monitor = createClipboardMonitor({
        checkIntervalSec: 0.8,
        fastCheckIntervalSec: 0.1,
        readClipboard: async () => {
          reads += 1;
          return text;
        },
        addTorrent: async () => {},
        publish: () => {},
      });
      t.after(() => monitor.stop());
      /** Advances the clock to just before `ms`, checks no read came, then to `ms`: exactly one read. */
      const nextReadAfter = async (ms: number) => {
        const before = reads;
        t.mock.timers.tick(ms - 1);
        await setImmediate();
        assert.equal(reads, before, `no read before ${ms} ms`);
        t.mock.timers.tick(1);
        await setImmediate();
        assert.equal(reads, before + 1, `a read at ${ms} ms`);
      };
      monitor.start();
      t.mock.timers.tick(0);
      await setImmediate();
      assert.equal(reads, 1, 'the first read is immediate (and its text is new)');
      for (const wait of [100, 200, 400, 800, 800]) await nextReadAfter(wait);
      text = 'a copy';
      await nextReadAfter(800);
      for (const wait of [100, 200]) await nextReadAfter(wait);
    });

    test('change notifications (XFIXES): with an hour between polls, each copy is still read at once; the status says so', async (t) => {
      const x = requireXvfb(t);
      if (!x) return;
      const { events, counters } = startMonitor(t, {
        checkIntervalSec: 3600,
        fastCheckIntervalSec: 3600,
        readClipboard: await xvfbClipboard(x),
        startWatcher: changeWatcherFor('linux', x.env),
      });
      await events.waitFor((event) => event.details.detection === 'xfixes', 'detection by XFIXES');
      await x.copy(magnet(SINTEL_HEX, 'Sintel'));
      await counters({ successful_adds: 1 });
      await x.copy(`now: ${magnet(SECOND_HEX, 'Second')}`);
      const added = await counters({ successful_adds: 2 });
      assert.equal(added.details.last_added?.info_hash, SECOND_HEX);
      assert.equal(added.details.detection_reason, null);
    });

    test('no change notifications to be had (a display that is gone): polling, and the status says why', async (t) => {
      if (!requireXvfb(t)) return;
      const number = [...Array(100).keys()].map((n) => 4300 + n).find((n) => !existsSync(`/tmp/.X${n}-lock`));
      const reads = createRecorder<number>();
      const { events } = startMonitor(t, {
        readClipboard: async () => {
          reads.record(performance.now());
          return '';
        },
        startWatcher: changeWatcherFor('linux', { PATH: process.env.PATH, DISPLAY: `:${number}` }),
      });
      const polling = await events.waitFor((event) => event.details.detection_reason !== null, 'the reason for polling');
      assert.equal(polling.details.detection, 'polling');
      assert.match(polling.details.detection_reason ?? '', /cannot open the X display/);
      await reads.waitForCount(3);
    });

    test('watch_changes off, live: the watcher stops and polling takes over', async (t) => {
      const x = requireXvfb(t);
      if (!x) return;
      const { monitor, events, counters } = startMonitor(t, {
        readClipboard: await xvfbClipboard(x),
        startWatcher: changeWatcherFor('linux', x.env),
      });
      await events.waitFor((event) => event.details.detection === 'xfixes', 'detection by XFIXES');
      monitor.reconfigure({ watchChanges: false });
      const polling = await events.waitFor((event) => event.details.detection === 'polling', 'polling');
      assert.equal(polling.details.detection_reason, null);
      await x.copy(magnet(THIRD_HEX, 'Third'));
      await counters({ successful_adds: 1 });
    });

    test('stop() during the wait between polls leaves no timer behind', async (t) => {
      const timersBefore = activeTimers();
      const { monitor, events } = startMonitor(t, { checkIntervalSec: 30, readClipboard: async () => '' });
      await untilWaiting(events);
      assert.equal(activeTimers(), timersBefore + 1, 'the wait for the next poll');
      await monitor.stop();
      assert.equal(activeTimers(), timersBefore);
      assert.equal(events.items.at(-1)?.status, 'stopped');
    });
  });
});

/** After the first poll has published and scheduled the next one (in the same turn of the event loop). */
async function untilWaiting(events: Recorder<ClipboardStatus>): Promise<void> {
  await events.waitForCount(1);
  await setImmediate();
}

function gap(times: readonly number[], index: number): number {
  return (times[index] ?? 0) - (times[index - 1] ?? 0);
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}
