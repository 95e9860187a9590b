/**
 * Alert management in a real browser against the real server: notification targets with their state, backlog
 * and a Test button (a real loopback receiver, and one that is down); Acknowledge with a comment and Silence
 * (1 hour, until a chosen time) on an alert; the silences in force, deleted from the page; the alert history a
 * page at a time; a read key's page without the admin's buttons; the `#alert=<id>` links notifications carry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildDashboard } from '../scripts/build-dashboard.js';
import { CHROMIUM_SKIP_REASON, chromiumInstalled, launchChromium, recordPageProblems, saveScreenshot } from './support/browser.js';
import { type Receiver, startReceiver } from './support/receiver.js';
import { postMetrics, rest } from './support/rest.js';
import { ADMIN_KEY, READ_KEY, startServer, type TestServer } from './support/server.js';

const WAIT_MS = 15_000;
const DESKTOP = { width: 1360, height: 1000 };
const STORED_KEY = 'qbt-monitor.api-key';
/** More alerts than the history's first page (25) holds. */
const MANY = 28;
const metricName = (n: number) => `jobs_${String(n).padStart(2, '0')}`;
/** Each metric's rule: over 100 raises alert type `<metric>`, back under 50 resolves it. */
const rule = (metric: string) => ({ metric, threshold: 100, level: 'warning', clear_threshold: 50 });

describe('dashboard alert management', { skip: chromiumInstalled() ? false : CHROMIUM_SKIP_REASON }, () => {
  let browser: Browser;
  let server: TestServer;
  let receiver: Receiver;
  let down: Receiver;
  let admin: Page;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  before(async () => {
    await buildDashboard();
    receiver = await startReceiver();
    down = await startReceiver();
    await down.down();
    server = await startServer({
      locale: 'en',
      alerts: { rules: Array.from({ length: MANY }, (_, i) => rule(metricName(i + 1))) },
      notifications: {
        targets: [
          { name: 'hook', url: receiver.url },
          { name: 'down', url: down.url },
        ],
        retry_max_delay: 0.5,
      },
    });
    browser = await launchChromium();
    admin = await open(ADMIN_KEY);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await receiver?.close();
    await down?.close();
  });

  async function open(key: string, fragment = ''): Promise<Page> {
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
    context.setDefaultTimeout(WAIT_MS);
    contexts.push(context);
    await context.addInitScript(`localStorage.setItem(${JSON.stringify(STORED_KEY)}, ${JSON.stringify(key)})`);
    const page = await context.newPage();
    recordPageProblems(page, problems);
    await page.goto(`${server.url}/${fragment}`);
    await page.locator('#connection-text', { hasText: /^Live$/ }).waitFor();
    return page;
  }

  /** Raises the alert of `metric` and returns its card on the admin's page and its id. */
  async function raise(metric: string): Promise<{ card: ReturnType<Page['locator']>; alertId: string }> {
    await postMetrics(server, { metric_name: metric, value: 500, unit: 'jobs' });
    const card = admin.locator('#alerts-container > li', { hasText: `${metric}` }).first();
    await card.waitFor();
    return { card, alertId: (await card.getAttribute('data-alert-id'))! };
  }

  const target = (page: Page, name: string) => page.locator(`#notification-targets > li[data-target="${name}"]`);

  test('the notification targets show their state, backlog and counts; Test sends a real message and shows the outcome', async () => {
    const { alertId } = await raise(metricName(1));
    await receiver.requests.waitFor((r) => r.json?.data?.alert_id === alertId, 'the alert at the receiver');
    // Read every 5 s while the page is visible.
    // Text content runs each term into its value: "Sent1Failed attempts0…".
    await target(admin, 'hook')
      .filter({ hasText: /Sent1(?!\d)/ })
      .waitFor();
    const hook = target(admin, 'hook');
    assert.match(await hook.innerText(), /webhook/);
    assert.equal(await hook.locator('.badge').textContent(), 'ok');
    assert.match(await hook.locator('.target__url').innerText(), new RegExp(`^http://127\\.0\\.0\\.1:${receiver.port}`));
    const failing = target(admin, 'down');
    await failing.locator('.badge', { hasText: /^failing$/ }).waitFor();
    assert.match(await failing.innerText(), /Backlog\s+1\s/);
    assert.match(await failing.innerText(), /Last error\s*\S+/);

    await hook.getByRole('button', { name: 'Test' }).click();
    await hook.locator('.target__outcome', { hasText: /^Test delivered in \d+ ms$/ }).waitFor();
    const test = await receiver.requests.waitFor((r) => r.json?.data?.event === 'notification_test', 'the test message');
    assert.equal(test.json.data.target, 'hook');
    await failing.getByRole('button', { name: 'Test' }).click();
    await failing.locator('.target__outcome', { hasText: /^Test failed: \S/ }).waitFor();
    await saveScreenshot(admin, 'management-targets');
  });

  test('Acknowledge with a comment: the card shows who, when and the comment, and so does the server', async () => {
    const { card, alertId } = await raise(metricName(2));
    await card.getByRole('button', { name: 'Acknowledge…' }).click();
    await card.getByLabel('Comment', { exact: true }).fill('restarting the job runner');
    await card.getByRole('button', { name: 'Acknowledge', exact: true }).click();
    await card
      .locator('.alert__ack', { hasText: /^Acknowledged by test-admin, (just now|\d+ s ago): restarting the job runner$/ })
      .waitFor();
    assert.equal(await card.getByRole('button', { name: 'Acknowledge…' }).count(), 0, 'nothing more to acknowledge');
    const history = await rest(server, 'GET', `/api/v1/alerts?type=${metricName(2)}`);
    assert.equal(history.body.alerts[0].alert_id, alertId);
    assert.equal(history.body.alerts[0].acknowledgement, 'restarting the job runner');
  });

  test('Silence for an hour and until a chosen time: listed with their ends, the alerts marked; Delete lifts one', async () => {
    const hour = await raise(metricName(3));
    const before = Date.now();
    await hour.card.getByRole('button', { name: 'Silence…' }).click();
    await hour.card.getByRole('button', { name: '1 hour' }).click();
    await hour.card.locator('.tag--silenced', { hasText: 'Silenced' }).waitFor();
    const listed = admin.locator('#silence-list > li', { hasText: `alert_id = ${hour.alertId}` });
    await listed.waitFor();
    const silences = (await rest(server, 'GET', '/api/v1/silences')).body.silences as Array<{
      id: string;
      matchers: object;
      ends_at: string;
    }>;
    const silence = silences.find((s) => JSON.stringify(s.matchers) === JSON.stringify({ alert_id: hour.alertId }))!;
    const endsIn = Date.parse(silence.ends_at) - before;
    assert.ok(endsIn >= 3_595_000 && endsIn <= 3_600_000 + 10_000, `ends in ${endsIn} ms`);

    const custom = await raise(metricName(4));
    await custom.card.getByRole('button', { name: 'Silence…' }).click();
    // Two hours and a half from now, in the browser's local time, to the minute.
    const until = await admin.evaluate(() => {
      const at = new Date(Date.now() + 150 * 60_000);
      at.setSeconds(0, 0);
      const local = new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
      return { local, iso: at.toISOString() };
    });
    await custom.card.getByLabel('Until').fill(until.local);
    await custom.card.getByLabel('Comment (optional)').fill('maintenance window');
    await custom.card.getByRole('button', { name: 'Silence until then' }).click();
    await custom.card.locator('.tag--silenced').waitFor();
    const customListed = admin.locator('#silence-list > li', { hasText: `alert_id = ${custom.alertId}` });
    await customListed.filter({ hasText: 'maintenance window' }).waitFor();
    const customSilence = (
      (await rest(server, 'GET', '/api/v1/silences')).body.silences as Array<{ matchers: object; ends_at: string }>
    ).find((s) => JSON.stringify(s.matchers) === JSON.stringify({ alert_id: custom.alertId }))!;
    assert.equal(customSilence.ends_at, until.iso);
    assert.match(await customListed.innerText(), /By\s*test-admin/);
    await saveScreenshot(admin, 'management-silences');

    await listed.getByRole('button', { name: /^Delete / }).click();
    await listed.waitFor({ state: 'detached' });
    // The server publishes the alert again without `silenced`.
    await hour.card.locator('.tag--silenced').waitFor({ state: 'detached' });
    assert.equal((await rest(server, 'GET', '/api/v1/silences')).body.silences.length, 1);
  });

  test('a read key sees targets, silences and the history, without Test, Acknowledge, Silence or Delete', async () => {
    const reader = await open(READ_KEY);
    await target(reader, 'hook').waitFor();
    await reader.locator('#silence-list > li').first().waitFor();
    await reader.locator('#alerts-container > li').first().waitFor();
    await reader.locator('#alert-history > li').first().waitFor();
    for (const name of ['Test', 'Acknowledge…', 'Silence…', /^Delete /]) {
      assert.equal(await reader.getByRole('button', { name }).count(), 0, `no ${name} button`);
    }
    await reader.close();
  });

  test('the alert history comes a page at a time, newest first, with resolutions and acknowledgements', async () => {
    // The other alerts raised at once (more than a page in all), then the first three resolved.
    await postMetrics(
      server,
      Array.from({ length: MANY - 4 }, (_, i) => ({ metric_name: metricName(i + 5), value: 500, unit: 'jobs' })),
    );
    for (const n of [1, 2, 3]) await postMetrics(server, { metric_name: metricName(n), value: 0, unit: 'jobs' });
    const rows = admin.locator('#alert-history > li');
    // Newest first by each alert's latest active message: the 24 raised last fill most of the first page.
    await rows.filter({ hasText: metricName(MANY) }).waitFor();
    await admin.waitForFunction((page) => document.querySelectorAll('#alert-history > li').length === page, 25);
    const more = admin.getByRole('button', { name: 'Load older' });
    await more.click();
    await admin.waitForFunction((all) => document.querySelectorAll('#alert-history > li').length === all, MANY);
    await more.waitFor({ state: 'hidden' });
    await rows
      .filter({ hasText: metricName(3) })
      .and(admin.locator('.history-item--resolved'))
      .waitFor();
    const acknowledged = rows.filter({ hasText: metricName(2) });
    assert.match(await acknowledged.innerText(), /resolved/);
    assert.match(await acknowledged.innerText(), /Acknowledged by test-admin: restarting the job runner/);
    const times = await rows.evaluateAll((items) => items.map((item) => item.querySelector('time')?.getAttribute('datetime') ?? ''));
    assert.equal(times.length, MANY);
    await saveScreenshot(admin, 'management-history');
  });

  test('#alert=<id> marks and shows the alert: an active card, an older history entry, or says it is not there', async () => {
    const active = (await rest(server, 'GET', `/api/v1/alerts?type=${metricName(20)}`)).body.alerts[0].alert_id as string;
    const linked = await open(ADMIN_KEY, `#alert=${active}`);
    const card = linked.locator(`#alerts-container > li[data-alert-id="${active}"]`);
    await card.and(linked.locator('.is-target')).waitFor();
    assert.equal(await card.evaluate((element) => element === document.activeElement), true, 'focused');

    // The oldest entry is on the second page: the page reads on until it finds it.
    const oldest = (await rest(server, 'GET', `/api/v1/alerts?type=${metricName(1)}`)).body.alerts[0].alert_id as string;
    await linked.evaluate((id) => {
      location.hash = `alert=${id}`;
    }, oldest);
    await linked.locator(`#alert-history > li.is-target[data-alert-id="${oldest}"]`).waitFor();
    assert.equal(await linked.locator('.is-target').count(), 1);

    await linked.evaluate(() => {
      location.hash = 'alert=alert_000000000000';
    });
    await linked.locator('#target-note', { hasText: 'Alert alert_000000000000 is not in the history shown.' }).waitFor();
    assert.equal(await linked.locator('.is-target').count(), 0);
  });

  test('nothing went wrong in any page', async () => {
    for (const context of contexts) await context.close();
    assert.deepEqual(problems, []);
  });
});
