/**
 * Fault suite, kill -9 under durable load: the real `serve` process is killed (SIGKILL) again and again
 * while config PATCHes (each a durable `config.updated`) pour in; a client resumes after each restart
 * with `since` and `epoch`. No acknowledged event is lost or delivered twice. Then the data directory
 * is lost too: the restart is a new log, and the client is told so by the epoch. `npm test` kills a
 * few times; `npm run soak` kills QBTM_SOAK_KILLS times (30).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_KEY, READ_KEY } from './support/server.js';
import { runService, type ServiceProcess, writeConfig } from './support/service-process.js';
import { connectAuthed, type Message, type TestClient, withTimeout } from './support/ws-client.js';

const KILLS = Number(process.env.QBTM_SOAK_KILLS ?? 3);
/** PATCHes in flight at once: a kill lands while some are half done. */
const PUBLISHERS = 4;
/** How long the load runs before each kill: drawn between these. */
const LOAD_MS = [300, 900] as const;

/** The durable event each PATCH makes: `config.updated` with this `check_interval` (harmless with the clipboard off). */
const intervalOf = (n: number) => 1 + n / 1000;
const numberOf = (interval: number) => Math.round((interval - 1) * 1000);

/** Everything the client received across all its connections, and where it stands. */
class ResumingClient {
  readonly durable: Message[] = [];
  epoch = '';
  lastSeq = 0;
  #client: TestClient | undefined;

  /** Connects (resuming from where it stood, after the first time); resolves with the ack and `resumed` data. */
  async connect(url: string): Promise<{ ack: Message['data']; resumed?: Message['data'] }> {
    const query = this.epoch ? `?since=${this.lastSeq}&epoch=${this.epoch}` : '';
    const { client, ack } = await connectAuthed(`${url}${query}`, READ_KEY);
    this.#client = client;
    const resumed = this.epoch ? (await client.next('resumed', 15_000)).data : undefined;
    // Another epoch is another log: count from its numbers.
    this.lastSeq = ack.data.epoch === this.epoch ? Math.max(this.lastSeq, ack.data.last_seq) : ack.data.last_seq;
    this.epoch = ack.data.epoch;
    client.ws.on('message', () => this.#take());
    this.#take();
    return { ack: ack.data, resumed };
  }

  /** Waits until the `config.updated` of PATCH `n` has arrived. */
  /** Waits (at most 15 s) until the config.updated of each of these PATCHes has arrived; what never does is for the caller to report. */
  async waitForAll(values: ReadonlySet<number>): Promise<void> {
    const missing = () => {
      const arrived = new Set(
        this.durable.filter((m) => m.meta?.event === 'config.updated').map((m) => numberOf(m.data.new_values.check_interval)),
      );
      return [...values].some((n) => !arrived.has(n));
    };
    const deadline = Date.now() + 15_000;
    while (missing() && Date.now() < deadline) await sleep(10);
  }

  #take(): void {
    for (const message of this.#client?.received.splice(0) ?? []) {
      if (message.meta?.seq === undefined) continue;
      this.durable.push(message);
      this.lastSeq = Math.max(this.lastSeq, message.meta.seq);
    }
  }
}

/** PATCHes from a few loops until stopped: each number is acknowledged (200), or unknown (cut off by the kill). */
function startLoad(url: string, next: () => number, acked: Set<number>, unknown: Set<number>): () => Promise<void> {
  let running = true;
  const loops = Array.from({ length: PUBLISHERS }, async () => {
    while (running) {
      const n = next();
      try {
        const response = await fetch(`${url}/api/v1/config`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ check_interval: intervalOf(n) }),
        });
        const body = await response.text();
        assert.equal(response.status, 200, body);
        acked.add(n);
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        unknown.add(n);
        return;
      }
    }
  });
  return async () => {
    running = false;
    await Promise.all(loops);
  };
}

test(`kill -9 under durable load, ${KILLS} times: no acknowledged event lost or doubled; a lost data directory is a new epoch`, {
  timeout: 60_000 + KILLS * 30_000,
}, async (t) => {
  const started = Date.now();
  const configDir = mkdtempSync(join(tmpdir(), 'qbtm-kill-config-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'qbtm-kill-data-'));
  const config = writeConfig(configDir, {
    server: { host: '127.0.0.1' },
    auth: {
      api_keys: [
        { name: 'ops', key: ADMIN_KEY, role: 'admin' },
        { name: 'reader', key: READ_KEY, role: 'read' },
      ],
    },
    clipboard: { enabled: false },
    metrics: { sample_system: false },
  });
  let service: ServiceProcess | undefined;
  const start = async (port?: number) => {
    service = await runService(['--config', config, '--data-dir', dataDir, ...(port === undefined ? [] : ['--port', String(port)])]);
    return service;
  };
  try {
    const { port } = await start();
    const wsUrl = `ws://127.0.0.1:${port}/ws`;
    const url = `http://127.0.0.1:${port}`;
    const client = new ResumingClient();
    const acked = new Set<number>();
    const unknown = new Set<number>();
    let issued = 0;
    await client.connect(wsUrl);

    for (let kill = 1; kill <= KILLS; kill += 1) {
      const stopLoad = startLoad(url, () => (issued += 1), acked, unknown);
      await sleep(LOAD_MS[0] + Math.random() * (LOAD_MS[1] - LOAD_MS[0]));
      service!.child.kill('SIGKILL');
      assert.equal(await withTimeout(service!.exited, 5000, 'serve did not die'), 'SIGKILL');
      await stopLoad();
      await start(port);
      const held = client.epoch;
      const { ack, resumed } = await client.connect(wsUrl);
      assert.equal(ack.epoch, held, 'the same log');
      assert.equal(resumed?.gap, false, `kill ${kill}: resumed without a gap`);
    }
    // The publishers run side by side, so a later PATCH may be recorded before an earlier one: wait for each.
    const stopLoad = startLoad(url, () => (issued += 1), acked, unknown);
    await sleep(50);
    await stopLoad();
    await client.waitForAll(acked);

    const updates = client.durable.filter((m) => m.meta?.event === 'config.updated').map((m) => numberOf(m.data.new_values.check_interval));
    const counts = new Map<number, number>();
    for (const n of updates) counts.set(n, (counts.get(n) ?? 0) + 1);
    const lost = [...acked].filter((n) => !counts.has(n));
    const duplicated = [...counts].filter(([, count]) => count > 1).map(([n]) => n);
    const seqs = client.durable.map((m) => m.meta!.seq!);
    assert.deepEqual(lost, [], 'every acknowledged PATCH announced');
    assert.deepEqual(duplicated, [], 'none twice');
    assert.deepEqual(
      updates.filter((n) => !acked.has(n) && !unknown.has(n)),
      [],
      'nothing that was not sent',
    );
    assert.deepEqual(
      seqs,
      [...new Set(seqs)].sort((a, b) => a - b),
      'every durable event once, in seq order, across the kills',
    );
    assert.equal(new Set(client.durable.map((m) => m.id)).size, client.durable.length);
    const restarts = client.durable.filter((m) => m.meta?.event === 'system.service_restart');
    assert.equal(restarts.length, KILLS, 'each restart announced once');
    assert.ok(restarts.every((m) => m.data.reason === 'unclean_shutdown'));
    t.diagnostic(
      `kills=${KILLS} acknowledged=${acked.size} cut_off=${unknown.size} (announced ${[...unknown].filter((n) => counts.has(n)).length}) ` +
        `durable_received=${client.durable.length} lost=${lost.length} duplicated=${duplicated.length} seconds=${((Date.now() - started) / 1000).toFixed(1)}`,
    );

    // The data directory lost with the process: the next start is a new log, and the client is told.
    const { lastSeq: heldSeq, epoch: heldEpoch } = client;
    service!.child.kill('SIGKILL');
    await withTimeout(service!.exited, 5000, 'serve did not die');
    rmSync(dataDir, { recursive: true, force: true });
    await start(port);
    const before = client.durable.length;
    const { ack, resumed } = await client.connect(wsUrl);
    assert.notEqual(ack.epoch, heldEpoch, 'a new epoch');
    assert.ok(ack.last_seq > heldSeq, 'numbered above the lost log, never from 1');
    assert.deepEqual([resumed?.gap, resumed?.replayed], [true, 0], 'the resumption is a gap: nothing replayed as if whole');
    const after = (issued += 1);
    const patched = await fetch(`${url}/api/v1/config`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ check_interval: intervalOf(after) }),
    });
    assert.equal(patched.status, 200);
    await client.waitForAll(new Set([after]));
    const fresh = client.durable.slice(before).find((m) => m.meta?.event === 'config.updated');
    assert.ok(fresh, `config.updated of PATCH ${after} never arrived`);
    assert.ok(fresh.meta!.seq! > heldSeq);
  } finally {
    if (service && service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    rmSync(configDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});
