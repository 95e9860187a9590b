/** One suite for the Bus interface, run against every implementation: the local bus (one process) and the Redis bus (cluster mode). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { type Bus, type ControlMessage, createLocalBus } from '../src/hub/bus.js';
import type { HubEvent } from '../src/hub/event.js';
import type { EventLog } from '../src/hub/event-log.js';
import { connectRedisBus } from '../src/hub/redis/redis-bus.js';
import { openDatabase } from '../src/store/database.js';
import { createSqliteEventLog } from '../src/store/sqlite-event-log.js';
import { redisSkipReason, type RedisServer, startRedis } from './support/redis.js';
import { loose } from './support/loose.js';
import { type Implementation, sharedSetUp } from './support/suite.js';

interface OpenBus {
  bus: Bus;
  log: EventLog;
  close(): Promise<void>;
}

let redis: RedisServer | undefined;
let redisBuses = 0;

const implementations: Array<Implementation<Promise<OpenBus>>> = [
  {
    name: 'local',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'qbtm-bus-'));
      const db = openDatabase(dir);
      const log = createSqliteEventLog(db);
      return {
        bus: createLocalBus({ log, onError: (error) => assert.fail(String(error)) }),
        log,
        async close() {
          db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'redis',
    skip: redisSkipReason(),
    async setUp() {
      redis = await startRedis();
      return () => redis!.stop();
    },
    async open() {
      // Each bus a cluster of its own, under its own key prefix.
      redisBuses += 1;
      const bus = await connectRedisBus({
        url: redis!.url,
        nodeId: 'test',
        keyPrefix: `bus-suite-${redisBuses}`,
        onError: (error) => assert.fail(String(error)),
      });
      return { bus, log: bus.log, close: () => bus.close() };
    },
  },
];

function busSuite({ name, skip, setUp, open }: Implementation<Promise<OpenBus>>): void {
  describe(`bus: ${name}`, { skip }, () => {
    sharedSetUp({ setUp });

    test('durable events are numbered by the log and reach every listener in order; performance events carry no seq', async () => {
      const { bus, log, close } = await open();
      try {
        const first: HubEvent[] = [];
        const second: HubEvent[] = [];
        bus.subscribe((event) => first.push(event));
        bus.subscribe((event) => second.push(event));
        const start = await log.lastSeq();
        bus.publish('alert.cpu', loose({ alert_id: 'a', n: 1 }));
        bus.publish('performance.system', loose({ cpu_percent: 3, n: 2 }));
        bus.publish('status.test', loose({ component: 'test', n: 3 }));
        await bus.flush();
        const durable = first.filter((event) => event.seq !== undefined);
        assert.deepEqual(
          durable.map((e) => [e.name, e.seq, e.data.n]),
          [
            ['alert.cpu', start + 1, 1],
            ['status.test', start + 2, 3],
          ],
        );
        const sample = first.find((event) => event.type === 'performance');
        assert.deepEqual([sample?.subtype, sample?.seq, sample?.data.n], ['system', undefined, 2]);
        assert.deepEqual(second, first, 'every listener, the same events');
        assert.equal(await log.lastSeq(), start + 2);
      } finally {
        await close();
      }
    });

    test('an event published while another is delivered comes after it, in seq order', async () => {
      const { bus, close } = await open();
      try {
        const seen: number[] = [];
        bus.subscribe((event) => {
          seen.push(event.data.n as number);
          if (event.data.n === 1) bus.publish('status.test', loose({ n: 3 }));
        });
        bus.publish('status.test', loose({ n: 1 }));
        bus.publish('status.test', loose({ n: 2 }));
        await bus.flush();
        // 3 was published after the first flush was called: the second one covers it.
        await bus.flush();
        assert.deepEqual(seen, [1, 2, 3]);
      } finally {
        await close();
      }
    });

    test('flush resolves once everything published so far is delivered; unsubscribe stops delivery', async () => {
      const { bus, close } = await open();
      try {
        const kept: unknown[] = [];
        const dropped: unknown[] = [];
        bus.subscribe((event) => kept.push(event.data.n));
        const unsubscribe = bus.subscribe((event) => dropped.push(event.data.n));
        for (let n = 1; n <= 50; n += 1) bus.publish('config.updated', loose({ n }));
        await bus.flush();
        assert.equal(kept.length, 50);
        unsubscribe();
        bus.publish('config.updated', loose({ n: 51 }));
        await bus.flush();
        assert.equal(kept.length, 51);
        assert.equal(dropped.length, 50);
      } finally {
        await close();
      }
    });

    test('publishDurable: recorded, then put in force, then delivered; resolves with the event and its seq; only durable events', async () => {
      const { bus, close } = await open();
      try {
        const steps: string[] = [];
        bus.subscribe((event) => steps.push(`delivered ${event.seq}`));
        const recorded = await bus.publishDurable('config.updated', loose({ n: 1 }), (event) => steps.push(`in force ${event.seq}`));
        assert.equal(typeof recorded.seq, 'number');
        assert.deepEqual(recorded.data, { n: 1 });
        assert.deepEqual(steps, [`in force ${recorded.seq}`, `delivered ${recorded.seq}`]);
        await assert.rejects(bus.publishDurable('performance.system', loose({})), /not a durable event/);
      } finally {
        await close();
      }
    });

    test('a control message reaches the node it names, not the event listeners; a node nobody runs is reported', async () => {
      const { bus, close } = await open();
      try {
        const events: HubEvent[] = [];
        bus.subscribe((event) => events.push(event));
        const received = new Promise<ControlMessage>((resolve) => bus.onControl(resolve));
        assert.equal(await bus.sendTo(bus.node, { name: 'ping', data: { n: 1 } }), true);
        assert.deepEqual(await received, { name: 'ping', data: { n: 1 }, ...(bus.node !== undefined && { from: bus.node }) });
        assert.equal(await bus.sendTo('no-such-node', { name: 'ping', data: {} }), false);
        await bus.flush();
        assert.deepEqual(events, []);
      } finally {
        await close();
      }
    });
  });
}

for (const implementation of implementations) busSuite(implementation);

describe('bus: local, with a log that cannot write', () => {
  test("publishDurable rejects with the store's error and nobody receives the event; publish reports it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qbtm-bus-'));
    openDatabase(dir).close();
    // A database this process may read but not write: every append fails as on a read-only disk.
    const db = new Database(join(dir, 'qbt-monitor.db'), { readonly: true });
    try {
      const errors: unknown[] = [];
      const bus = createLocalBus({ log: createSqliteEventLog(db), onError: (error) => errors.push(error) });
      const received: HubEvent[] = [];
      bus.subscribe((event) => received.push(event));
      let putInForce = false;
      await assert.rejects(
        bus.publishDurable('config.updated', loose({ n: 1 }), () => {
          putInForce = true;
        }),
        { code: 'SQLITE_READONLY' },
      );
      assert.equal(putInForce, false, 'what an unrecorded event announces is not put in force');
      bus.publish('config.updated', loose({ n: 2 }));
      bus.publish('performance.system', loose({ n: 3 }));
      await bus.flush();
      assert.deepEqual(
        received.map((event) => event.data.n),
        [3],
      );
      assert.equal(errors.length, 1);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
