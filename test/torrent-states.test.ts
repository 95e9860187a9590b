/**
 * qBittorrent 4.x and 5.x state names both map: the maindata answers recorded from the real
 * qbittorrent-nox 4.5 (test/fixtures), replayed by a stand-in of each version (5.x with the states Web
 * API 2.11 renamed), give the table qBittorrent had, the same counts, and the lifecycle events.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { startQbittorrentStandin } from './support/qbittorrent-standin.js';
import { rest } from './support/rest.js';
import { READ_KEY, startServer } from './support/server.js';
import { connectAuthed, type Message } from './support/ws-client.js';

type Answer = Record<string, any>;
const recorded = JSON.parse(readFileSync(new URL('./fixtures/maindata-qbittorrent-4.5.2.json', import.meta.url), 'utf8')) as Answer[];
/** 5.x: `pausedDL`/`pausedUP` became `stoppedDL`/`stoppedUP`. */
const as5x = JSON.parse(
  JSON.stringify(recorded).replaceAll('"pausedDL"', '"stoppedDL"').replaceAll('"pausedUP"', '"stoppedUP"'),
) as Answer[];

/** qBittorrent's torrents after the answers, folded by maindata's own rules (a full answer replaces, a partial merges). */
function finalTorrents(answers: readonly Answer[]): Map<string, Answer> {
  const torrents = new Map<string, Answer>();
  for (const answer of answers) {
    if (answer.full_update) torrents.clear();
    for (const hash of answer.torrents_removed ?? []) torrents.delete(hash);
    for (const [hash, fields] of Object.entries(answer.torrents ?? {}))
      torrents.set(hash, { ...torrents.get(hash), ...(fields as Answer) });
  }
  return torrents;
}

function tableOf(messages: readonly Message[]): Map<string, Answer> {
  let table = new Map<string, Answer>();
  for (const message of messages) {
    if (message.meta?.event === 'torrent.list') table = new Map(message.data.torrents.map((row: Answer) => [row.hash, { ...row }]));
    if (message.meta?.event !== 'torrent.updated') continue;
    for (const hash of message.data.removed) table.delete(hash);
    for (const [hash, fields] of Object.entries(message.data.changed)) table.set(hash, { ...table.get(hash), ...(fields as Answer) });
  }
  return table;
}

for (const { label, version, webApiVersion, answers, stopped, endpoints } of [
  { label: '4.5', version: 'v4.5.2', webApiVersion: '2.8.19', answers: recorded, stopped: 'pausedDL', endpoints: ['pause', 'resume'] },
  { label: '5.x', version: 'v5.0.4', webApiVersion: '2.11.2', answers: as5x, stopped: 'stoppedDL', endpoints: ['stop', 'start'] },
]) {
  describe(`qBittorrent ${label} state names`, () => {
    test(`the table, the counts and the lifecycle from ${label} answers`, async () => {
      const standin = await startQbittorrentStandin({ version, webApiVersion, maindata: answers });
      const server = await startServer({ qbittorrent: { url: standin.url, username: 'admin', password: 'x', sync_interval: 0.1 } });
      try {
        const { client } = await connectAuthed(server.wsUrl(), READ_KEY);
        // The last recorded answer served, then a sync published after that: everything applied and counted.
        await client.next((m) => m.meta?.event === 'performance.qbittorrent' && standin.served === answers.length, 15_000);
        const servedAt = new Date().toISOString();
        const figures = await client.next((m) => m.meta?.event === 'performance.qbittorrent' && m.timestamp > servedAt, 5000);

        const expected = finalTorrents(answers);
        const table = tableOf(client.received);
        assert.deepEqual([...table.keys()].sort(), [...expected.keys()].sort());
        for (const [hash, torrent] of expected) {
          const row = table.get(hash)!;
          assert.equal(row.state, torrent.state, `${torrent.name}: qBittorrent's own state name`);
          assert.equal(row.progress, torrent.progress);
          assert.equal(row.name, torrent.name);
        }
        assert.deepEqual([...table.values()].map((row) => row.state).sort(), ['error', 'stalledUP', stopped].sort());
        assert.deepEqual(figures.data.torrents, {
          total: 3,
          downloading: 0,
          seeding: 1,
          stopped: 1,
          stalled: 0,
          errored: 1,
          checking: 0,
          queued: 0,
          other: 0,
        });

        // The first sync ever is the baseline; what happened after it is announced.
        const lifecycle = client.received.filter((m) => m.type === 'torrent' && m.meta?.seq !== undefined);
        const byName = (name: string) => [...expected.values()].find((t) => t.name === name)!;
        assert.deepEqual(
          lifecycle.map((m) => [m.meta?.event, m.data.name]),
          [
            ['torrent.errored', byName('cannot-write.bin').name],
            ['torrent.completed', byName('ubuntu-24.04.iso').name],
          ],
        );
        client.close();

        // Row actions name the endpoints of the version: stop/start from Web API 2.11, pause/resume before.
        const [hash] = [...expected.entries()].find(([, torrent]) => torrent.name === 'paused-movie.mkv')!;
        for (const action of ['stop', 'start', 'pause', 'resume', 'recheck']) {
          assert.equal((await rest(server, 'POST', `/api/v1/torrents/${hash}/${action}`)).status, 200, action);
        }
        assert.equal((await rest(server, 'DELETE', `/api/v1/torrents/${hash.toUpperCase()}?delete_files=true`)).status, 200);
        assert.deepEqual(
          standin.actions.map(({ action, form }) => [action, form.hashes, form.deleteFiles]),
          [
            [endpoints[0], hash, undefined],
            [endpoints[1], hash, undefined],
            [endpoints[0], hash, undefined],
            [endpoints[1], hash, undefined],
            ['recheck', hash, undefined],
            ['delete', hash, 'true'],
          ],
        );
      } finally {
        await server.stop();
        await standin.stop();
      }
    });
  });
}

// A real qbittorrent-nox 4.5.2 answers free_space_on_disk 0 in its first maindata, a few ms after it
// starts, and its measured figure from the next one on: such a start must not raise a disk alert.
describe("qBittorrent's free space before it has measured the disk", () => {
  const first = { full_update: true, torrents: {}, server_state: { connection_status: 'connected', free_space_on_disk: 0 } };
  for (const { label, answers, expected, alert } of [
    {
      label: 'a 0 at start, then the measured figure',
      answers: [first, { server_state: { free_space_on_disk: 8e10 } }],
      expected: 8e10,
      alert: false,
    },
    { label: 'a 0 that a second answer keeps (a full disk)', answers: [first], expected: 0, alert: true },
  ]) {
    test(`${label}: the first figure is unknown, then ${expected}${alert ? ', with alert.disk' : ', no alert'}`, async () => {
      const standin = await startQbittorrentStandin({ version: 'v4.5.2', webApiVersion: '2.8.19', maindata: answers });
      const server = await startServer({ qbittorrent: { url: standin.url, username: 'admin', password: 'x', sync_interval: 0.1 } });
      try {
        const { client } = await connectAuthed(server.wsUrl(), READ_KEY);
        // The client may connect after the first sync; what it sees and the alerts raised say what the service took.
        await client.next((m) => m.meta?.event === 'performance.qbittorrent' && m.data.free_space_on_disk === expected, 15_000);
        const free = client.received.filter((m) => m.meta?.event === 'performance.qbittorrent').map((m) => m.data.free_space_on_disk);
        assert.deepEqual(
          free.filter((figure) => figure !== null),
          free.filter((figure) => figure !== null).map(() => expected),
        );
        if (alert) await client.next((m) => m.meta?.event === 'alert.disk' && m.data.status === 'active', 5000);
        const disk = await rest(server, 'GET', '/api/v1/alerts?type=disk');
        assert.equal(disk.status, 200);
        assert.equal(disk.body.alerts.length, alert ? 1 : 0, JSON.stringify(disk.body));
      } finally {
        await server.stop();
        await standin.stop();
      }
    });
  }
});
