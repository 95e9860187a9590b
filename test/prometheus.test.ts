/** GET /metrics: parses as Prometheus text exposition 0.0.4 (checked by a strict parser below), with system, custom and server figures. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { qbittorrentSkipReason, startQbittorrent } from './support/qbittorrent-nox.js';
import { postMetrics, rest } from './support/rest.js';
import { READ_KEY, startServer, type TestServer } from './support/server.js';
import { connectAuthed } from './support/ws-client.js';

interface Family {
  type: string;
  help?: string;
  /** `name` is the family's, or for a histogram its `_bucket`, `_sum` or `_count` series. */
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const PROTOCOL_DOC = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8');

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
/** As Go's ParseFloat reads it (Prometheus's parser): NaN and Inf in any case; prom-client writes `Nan`. */
const VALUE = '(?:[+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?)|[+-]?[Ii][Nn][Ff]|[Nn][Aa][Nn])';
const SAMPLE = new RegExp(`^(${METRIC_NAME})(?:\\{((?:${LABEL_NAME}=${LABEL_VALUE},?)*)\\})? (${VALUE})(?: -?\\d+)?$`);
const LABEL = new RegExp(`(${LABEL_NAME})=(${LABEL_VALUE})`, 'g');
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * A strict reader of the text format: every line is HELP, TYPE, a comment, blank or a sample; TYPE comes
 * once per family, before its samples; a family's samples are contiguous (a histogram's `_bucket`,
 * `_sum` and `_count` with it); no series repeats.
 */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const typed = new Set<string>();
  let current: string | undefined;
  assert.ok(text.endsWith('\n'), 'ends with a line feed');
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, index) => {
      const at = `line ${index + 1}: ${line}`;
      if (line === '') return;
      const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (meta) {
        const [, keyword, name = '', rest = ''] = meta;
        assert.match(name, new RegExp(`^${METRIC_NAME}$`), at);
        const family = families.get(name) ?? { type: 'untyped', samples: [] };
        if (keyword === 'TYPE') {
          assert.ok(TYPES.has(rest), at);
          assert.equal(family.samples.length, 0, `${at}: TYPE after samples`);
          assert.ok(!typed.has(name), `${at}: TYPE given twice`);
          typed.add(name);
          family.type = rest;
        } else {
          assert.ok(!/\\[^\\n]/.test(rest), `${at}: HELP escapes only \\\\ and \\n`);
          family.help = rest;
        }
        families.set(name, family);
        current = name;
        return;
      }
      if (line.startsWith('#')) return;
      const sample = SAMPLE.exec(line);
      assert.ok(sample, `${at}: not a sample line`);
      const [, name = '', labelText = '', value = ''] = sample;
      const histogram = current !== undefined && families.get(current)?.type === 'histogram';
      const owner = histogram && ['_bucket', '_sum', '_count'].some((suffix) => name === `${current}${suffix}`) ? current! : name;
      assert.equal(owner, current, `${at}: samples of a family must follow its TYPE, together`);
      const labels: Record<string, string> = {};
      for (const [, key = '', quoted = ''] of labelText.matchAll(LABEL)) {
        assert.ok(!(key in labels), `${at}: label ${key} twice`);
        labels[key] = quoted.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      }
      const series = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      assert.ok(!seen.has(series), `${at}: series repeated`);
      seen.add(series);
      families.get(owner)!.samples.push({ name, labels, value: Number(value.replace(/inf/i, 'Infinity').replace(/nan/i, 'NaN')) });
    });
  return families;
}

function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  return families.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** One histogram series: its count, sum and cumulative buckets (checked: monotonic, `+Inf` equal to the count). */
function histogramOf(families: Map<string, Family>, name: string, labels: Record<string, string>) {
  const family = families.get(name);
  assert.equal(family?.type, 'histogram', name);
  const mine = family.samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  const count = mine.find((s) => s.name === `${name}_count`)?.value ?? 0;
  const sum = mine.find((s) => s.name === `${name}_sum`)?.value ?? 0;
  const buckets = mine
    .filter((s) => s.name === `${name}_bucket`)
    .map((s) => ({ le: Number(s.labels.le!.replace('Inf', 'Infinity')), count: s.value }));
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.le > buckets[i - 1]!.le && buckets[i]!.count >= buckets[i - 1]!.count);
  assert.equal(buckets.at(-1)?.le, Number.POSITIVE_INFINITY);
  assert.equal(buckets.at(-1)?.count, count);
  return { count, sum, buckets };
}

describe('Prometheus exposition', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({
      metrics: { interval: 0.2, sample_system: true, max_tag_sets: 2 },
      alerts: { rules: [{ metric: 'render_ms', threshold: 100, level: 'warning', type: 'render' }] },
    });
  });
  after(() => server.stop());

  async function scrape(): Promise<Map<string, Family>> {
    const response = await rest(server, 'GET', '/metrics', { key: READ_KEY });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    return parseExposition(response.body as string);
  }

  test('needs a key', async () => {
    assert.equal((await rest(server, 'GET', '/metrics', { key: null })).status, 401);
  });

  test('system figures, server figures and active alerts parse and hold the values sent to clients', async () => {
    const { client } = await connectAuthed(server.wsUrl('/ws/performance'), READ_KEY);
    const sample = await client.next((m) => m.type === 'performance' && m.data.cpu_percent !== undefined && !m.meta?.snapshot, 5000);
    await postMetrics(server, { metric_name: 'render_ms', value: 250, unit: 'ms', tags: { stage: 'encode' } });
    await server.app.alerts.settled();
    const families = await scrape();

    assert.equal(families.get('qbtm_system_cpu_percent')?.type, 'gauge');
    assert.equal(families.get('qbtm_system_network_sent_bytes_total')?.type, 'counter');
    const processes = sampleValue(families, 'qbtm_system_processes')!;
    assert.ok(Math.abs(processes - sample.data.process_count) <= 20, `${processes} processes vs ${sample.data.process_count} sent`);
    assert.ok(sampleValue(families, 'qbtm_system_network_received_bytes_total')! >= sample.data.network_io.bytes_recv);

    assert.equal(sampleValue(families, 'qbtm_websocket_connections'), 1);
    const published = sampleValue(families, 'qbtm_events_published_total', { type: 'performance' })!;
    assert.ok(published > 0 && published <= server.app.hub.stats.published.performance);
    assert.equal(families.get('qbtm_events_published_total')?.samples.length, 6, 'one series per event type');
    assert.ok(sampleValue(families, 'qbtm_websocket_messages_sent_total')! > 0);
    assert.equal(sampleValue(families, 'qbtm_alerts_active', { type: 'render', level: 'warning' }), 1);
    assert.equal(sampleValue(families, 'qbtm_event_last_seq'), server.app.hub.lastSeq);
    client.close();
  });

  test('a published custom metric appears with its tags as labels, escaped; tag sets are bounded', async () => {
    const note = 'a "quoted" \\ path\nand a second line';
    await postMetrics(server, [
      { metric_name: 'queue.wait-ms', value: 12.5, unit: 'ms', tags: { queue: 'downloads', note } },
      { metric_name: 'queue.wait-ms', value: 3, unit: 'ms', tags: { queue: 'uploads', note } },
      { metric_name: 'queue.wait-ms', value: 99, unit: 'ms', tags: { queue: 'third', note } },
      { metric_name: 'queue.wait-ms', value: 4, unit: 'ms', tags: { queue: 'uploads', note } },
    ]);
    const families = await scrape();
    const family = families.get('qbtm_custom_queue_wait_ms');
    assert.equal(family?.type, 'gauge');
    assert.match(family.help ?? '', /queue\.wait-ms \(ms\)/);
    assert.deepEqual(
      family.samples.map((s) => [s.labels.queue, s.labels.note, s.value]),
      [
        ['downloads', note, 12.5],
        ['uploads', note, 4],
      ],
      'latest value per tag set; the third tag set is past metrics.max_tag_sets (2)',
    );
    assert.equal(sampleValue(families, 'qbtm_dropped_custom_samples_total', { metric_name: 'queue.wait-ms' }), 1);
  });

  test('api_response_time is a histogram in seconds, the REST API\'s calls labelled api="rest"', async () => {
    const before = await scrape();
    assert.equal(before.get('qbtm_custom_api_response_time'), undefined, 'not a latest-value gauge');
    const labels = { api: 'rest', endpoint: '/api/v1/metrics', method: 'POST' };
    const earlier = before.has('qbtm_api_response_time_seconds') ? histogramOf(before, 'qbtm_api_response_time_seconds', labels).count : 0;
    for (let i = 0; i < 3; i++) await postMetrics(server, { metric_name: 'timed', value: i });
    const { count, sum, buckets } = histogramOf(await scrape(), 'qbtm_api_response_time_seconds', labels);
    assert.equal(count, earlier + 3);
    assert.ok(sum > 0 && sum < count * 1, `seconds, not milliseconds: ${sum} over ${count} calls`);
    assert.equal(buckets[0]!.le, 0.001);
  });

  test("prom-client's default process and Node.js series, and qbtm_build_info with the version", async () => {
    const scraped = await scrape();
    assert.equal(scraped.get('process_cpu_seconds_total')?.type, 'counter');
    assert.ok(sampleValue(scraped, 'process_resident_memory_bytes')! > 1_000_000);
    assert.ok(sampleValue(scraped, 'nodejs_heap_size_used_bytes')! > 0);
    assert.equal(scraped.get('nodejs_eventloop_lag_seconds')?.type, 'gauge');
    const started = Date.now() / 1000 - process.uptime();
    assert.ok(Math.abs(sampleValue(scraped, 'process_start_time_seconds')! - started) <= 1, 'this process');
    assert.equal(sampleValue(scraped, 'qbtm_build_info', { version: PACKAGE_VERSION, nodejs: process.version }), 1);
  });

  test('every series is documented in docs/protocol.md', async () => {
    const documented = PROTOCOL_DOC.slice(PROTOCOL_DOC.indexOf('### Prometheus'));
    const section = documented.slice(0, documented.indexOf('\n## '));
    for (const name of (await scrape()).keys()) {
      if (name.startsWith('process_') || name.startsWith('nodejs_')) continue; // prom-client's defaults, documented as a set
      const listed = name.startsWith('qbtm_custom_') ? 'qbtm_custom_<metric_name>' : name;
      assert.ok(section.includes(`\`${listed}`), `${name} is not documented in docs/protocol.md, "Prometheus"`);
    }
    for (const set of ['`process_*`', '`nodejs_*`']) assert.ok(section.includes(set), `${set} documented`);
  });
});

describe('Prometheus exposition with a real qBittorrent', { skip: qbittorrentSkipReason() }, () => {
  test('its WebUI calls are in the api_response_time histogram as api="qbittorrent"', async (t) => {
    const qbittorrent = await startQbittorrent();
    t.after(() => qbittorrent.dispose());
    const { url, username, password } = qbittorrent;
    const server = await startServer({ qbittorrent: { url, username, password, health_check_interval: 0.2 } });
    t.after(() => server.stop());
    const { client } = await connectAuthed(server.wsUrl('/ws/status'), READ_KEY);
    t.after(() => client.close());
    await client.next((m) => m.data?.component === 'qbittorrent_client' && m.data.status === 'connected', 15_000);
    const response = await rest(server, 'GET', '/metrics', { key: READ_KEY });
    const scraped = parseExposition(response.body as string);
    const login = histogramOf(scraped, 'qbtm_api_response_time_seconds', {
      api: 'qbittorrent',
      endpoint: '/api/v2/auth/login',
      method: 'POST',
    });
    assert.ok(login.count >= 1 && login.sum > 0 && login.sum < login.count * 10);
    const rested = scraped.get('qbtm_api_response_time_seconds')!.samples.filter((s) => s.labels.api === 'rest');
    assert.ok(
      rested.every((s) => s.labels.endpoint!.startsWith('/api/v1/')),
      'REST and WebUI calls apart',
    );
  });
});

describe('the strict parser', () => {
  test('refuses what Prometheus would', () => {
    assert.throws(() => parseExposition('metric 1'), /line feed/);
    assert.throws(() => parseExposition('# TYPE m gauge\nm{a="x"} one\n'), /not a sample/);
    assert.throws(() => parseExposition('# TYPE m gauge\nm{a="x\\q"} 1\n'), /not a sample/);
    assert.throws(() => parseExposition('# TYPE m gauge\nm 1\n# TYPE n gauge\nn 1\nm 2\n'), /together/);
    assert.throws(() => parseExposition('# TYPE m gauge\nm 1\nm 2\n'), /repeated/);
    assert.throws(() => parseExposition('# TYPE m gauges\n'));
    assert.throws(() => parseExposition('# HELP m h\n# TYPE m gauge\n# TYPE m counter\n'), /twice/);
    assert.equal(parseExposition('# HELP m h\n# TYPE m gauge\nm{a="x\\"y"} +Inf\n\n').get('m')?.samples[0]?.labels.a, 'x"y');
  });
});
