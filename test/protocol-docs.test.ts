/** The documents match the code: every error and close code in docs/protocol.md; docs/asyncapi.yaml current, valid AsyncAPI 3, and true to real messages. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Parser } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { stringify } from 'yaml';
import { configReference } from '../src/config/reference.js';
import { buildAsyncApi } from '../src/protocol/asyncapi.js';
import { CloseCode, ErrorCode } from '../src/protocol/index.js';
import { ADMIN_KEY, READ_KEY, startServer } from './support/server.js';
import { connect, connectAuthed, type Message } from './support/ws-client.js';

const protocolDoc = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8');
const asyncapiText = readFileSync(new URL('../docs/asyncapi.yaml', import.meta.url), 'utf8');
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

describe('docs/protocol.md', () => {
  for (const code of Object.values(ErrorCode)) {
    test(`documents error code ${code}`, () => assert.match(protocolDoc, new RegExp(`\\| \`${code}\` \\|`)));
  }
  for (const [name, code] of Object.entries(CloseCode)) {
    test(`documents close code ${code} (${name})`, () => assert.match(protocolDoc, new RegExp(`^\\| ${code} \\|`, 'm')));
  }
});

describe('docs/configuration.md', () => {
  test('is what the config schema generates (run `npm run docs:config` after changing it)', () => {
    const committed = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    assert.equal(committed, configReference());
  });
});

describe('docs/asyncapi.yaml', () => {
  test('is what the protocol schemas generate (run `npm run asyncapi` after changing them)', () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(asyncapiText.split('\n').slice(1).join('\n'), stringify(buildAsyncApi(version), { aliasDuplicateObjects: false }));
  });

  test('parses as a valid AsyncAPI 3 document and validates real server messages', async () => {
    const { document, diagnostics } = await new Parser().parse(asyncapiText);
    const errors = diagnostics.filter((d) => d.severity === 0);
    assert.deepEqual(
      errors.map((d) => `${d.path.join('.')}: ${d.message}`),
      [],
    );
    assert.ok(document);
    assert.equal(document.version(), '3.0.0');
    assert.deepEqual(
      document
        .channels()
        .all()
        .map((c) => c.address())
        .sort(),
      ['/ws', '/ws/alerts', '/ws/performance', '/ws/status', '/ws/torrents'],
    );

    const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
    const validators = new Map(
      document
        .components()
        .messages()
        .all()
        .map((m) => [m.id(), ajv.compile(m.payload()!.json() as object)]),
    );
    const schemaFor = (message: Message): string => {
      const data = message.data ?? {};
      switch (message.type) {
        case 'connection':
          return data.status === 'connected' ? 'connectionAck' : 'connectionError';
        case 'performance':
          if (message.meta?.event === 'performance.qbittorrent') return 'qbittorrentTransfer';
          return data.metric_name === undefined ? 'systemMetrics' : 'customMetric';
        case 'torrent':
          if (message.meta?.event === 'torrent.list') return 'torrentList';
          return message.meta?.event === 'torrent.updated' ? 'torrentUpdated' : 'torrentLifecycle';
        case 'alert':
          return data.status === 'active' ? 'alertActive' : 'alertResolved';
        case 'status':
          return data.component === 'clipboard_monitor' ? 'clipboardStatus' : 'qbittorrentStatus';
        case 'config':
          return data.action === 'updated' ? 'configUpdated' : 'configRejected';
        case 'system':
          return 'systemEvent';
        default:
          return message.type;
      }
    };

    const server = await startServer();
    const messages: Message[] = [];
    try {
      const { client } = await connectAuthed(server.wsUrl(), ADMIN_KEY);
      await client.request({ type: 'ping' });
      await client.request({ type: 'subscribe', data: { events: ['*'] } });
      await client.request({ type: 'unsubscribe', data: { events: ['config.rejected'] } });
      await client.request({ type: 'request_data', data: { metrics: ['cpu_percent'], history_minutes: 1 } });
      await client.request({ type: 'subscribe', data: { events: ['nope'] } });
      const now = new Date().toISOString();
      server.app.publish('performance.system', {
        cpu_percent: 1.5,
        memory_percent: 2,
        disk_usage_percent: 3,
        network_io: { bytes_sent: 1, bytes_recv: 2 },
        process_count: 4,
      });
      server.app.publish('performance.api_response_time', {
        metric_name: 'api_response_time',
        value: 150,
        unit: 'ms',
        category: 'performance',
        tags: { endpoint: '/api/v1/config', method: 'GET' },
      });
      server.app.publish('alert.cpu', {
        alert_id: 'alert_1',
        type: 'cpu',
        level: 'warning',
        title: 'CPU使用率过高',
        message: 'CPU使用率达到 85%',
        value: 85.2,
        threshold: 80,
        status: 'active',
        metadata: { affected_processes: ['qbittorrent'], suggestion: '检查高CPU使用率进程' },
      });
      server.app.publish('alert.cpu', {
        alert_id: 'alert_1',
        type: 'cpu',
        level: 'warning',
        status: 'resolved',
        resolved_at: now,
        resolution: 'recovered',
        resolved_by: 'system',
      });
      const sintel = {
        kind: 'magnet' as const,
        info_hash: '08ada5a7a6183aae1e09d831df6748d566095a10',
        name: 'Sintel',
        rule: 'tv',
        category: 'tv',
        tags: ['series'],
        save_path: '/srv/tv',
        paused: false,
        source: 'clipboard' as const,
        at: now,
      };
      server.app.publish('status.clipboard_monitor', {
        component: 'clipboard_monitor',
        status: 'running',
        last_check: now,
        details: {
          processed_count: 25,
          successful_adds: 23,
          failed_adds: 2,
          duplicates_skipped: 4,
          skipped: 1,
          reason: null,
          last_added: sintel,
          last_failure: null,
          last_skipped: null,
          recent_adds: [sintel],
          recent_failures: [],
          pending: [{ ...sintel, name: 'Tears of Steel', attempts: 3, next_retry_at: now, reason: 'cannot reach qBittorrent' }],
          pending_count: 1,
          rules: [
            { rule: 'tv', added: 1, skipped: 0, failed: 0 },
            { rule: null, added: 22, skipped: 0, failed: 2 },
          ],
          detection: 'xfixes',
          detection_reason: null,
        },
      });
      server.app.publish('status.qbittorrent_client', {
        component: 'qbittorrent_client',
        status: 'connected',
        connection_info: { host: 'localhost', port: 8080, version: 'v4.5.0', api_version: '2.8.19' },
        last_activity: now,
        since: now,
      });
      server.app.publish('config.updated', {
        action: 'updated',
        fields: ['check_interval'],
        old_values: { check_interval: 1 },
        new_values: { check_interval: 5 },
        updated_by: 'system',
        restart_required: [],
      });
      const torrent = {
        hash: 'c'.repeat(40),
        name: 'ubuntu.iso',
        state: 'downloading',
        progress: 0.5,
        size: 4096,
        category: 'iso',
        tags: ['linux'],
        save_path: '/downloads',
        added_on: now,
        completion_on: null,
        source: 'clipboard' as const,
      };
      server.app.publish('torrent.added', torrent);
      server.app.publish('torrent.updated', {
        changed: { [torrent.hash]: { ...torrent, dl_speed: 1, up_speed: 0, eta: 60, ratio: 0, num_seeds: 1, num_leechs: 0 } },
        removed: ['d'.repeat(40)],
      });
      server.app.publish('performance.qbittorrent', {
        dl_speed: 1,
        up_speed: 0,
        dl_session_bytes: 10,
        up_session_bytes: 0,
        free_space_on_disk: 1e9,
        connection_status: 'firewalled',
        dht_nodes: 0,
        torrents: { total: 1, downloading: 1, seeding: 0, stopped: 0, stalled: 0, errored: 0, checking: 0, queued: 0, other: 0 },
      });
      server.app.publish('system.test_done', { event: 'test_done', service: 'qbittorrent_monitor' });
      await client.next((m) => m.data?.event === 'test_done');
      client.close();
      const resumed = await connectAuthed(server.wsUrl('/ws', { since: 0 }), READ_KEY);
      await resumed.client.next('resumed');
      resumed.client.close();
      const refused = await connect(server.wsUrl(), { token: 'definitely-not-a-key' });
      await refused.waitClosed();
      messages.push(...client.received, ...resumed.client.received, ...refused.received);
    } finally {
      await server.stop();
    }

    const seen = new Set<string>();
    for (const message of messages) {
      const name = schemaFor(message);
      const validate = validators.get(name);
      assert.ok(validate, `no schema ${name} for ${message.type}`);
      assert.ok(validate(message), `${name}: ${JSON.stringify(validate.errors)} in ${JSON.stringify(message)}`);
      seen.add(name);
    }
    for (const name of [
      'connectionAck',
      'connectionError',
      'systemMetrics',
      'customMetric',
      'alertActive',
      'alertResolved',
      'clipboardStatus',
      'qbittorrentStatus',
      'configUpdated',
      'systemEvent',
      'error',
      'pong',
      'subscribed',
      'unsubscribed',
      'resumed',
      'qbittorrentTransfer',
      'torrentLifecycle',
      'torrentList',
      'torrentUpdated',
    ]) {
      assert.ok(seen.has(name), `a real ${name} message was checked`);
    }
  });
});
