/** One suite for the EventLog interface, run against every implementation (SQLite now; Redis joins in cluster mode). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createLocalBus } from '../src/hub/bus.js';
import { createEvent, type HubEvent } from '../src/hub/event.js';
import type { EventLog } from '../src/hub/event-log.js';
import { openDatabase } from '../src/store/database.js';
import { createSqliteEventLog } from '../src/store/sqlite-event-log.js';

interface Implementation {
  name: string;
  open(): { log: EventLog; reopen(): EventLog; close(): void };
}

const implementations: Implementation[] = [
  {
    name: 'sqlite',
    open() {
      const dir = mkdtempSync(join(tmpdir(), 'qbtm-log-'));
      let db = openDatabase(dir);
      return {
        log: createSqliteEventLog(db),
        reopen() {
          db.close();
          db = openDatabase(dir);
          return createSqliteEventLog(db);
        },
        close() {
          db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

const status = (n: number) => createEvent('status.test', { component: 'test', status: 'ok', n });

function eventLogSuite({ name, open }: Implementation): void {
  describe(`event log: ${name}`, () => {
    test('append numbers events 1, 2, 3... and keeps id, timestamp and data', async () => {
      const { log, close } = open();
      try {
        assert.equal(await log.lastSeq(), 0);
        const input = status(1);
        const first = await log.append(input);
        const second = await log.append(status(2));
        assert.equal(first.seq, 1);
        assert.equal(second.seq, 2);
        assert.equal(await log.lastSeq(), 2);
        const read = await log.readSince(0, 10);
        assert.equal(read.gap, false);
        const [stored] = (read as { events: HubEvent[] }).events;
        assert.deepEqual(stored, { ...input, seq: 1 });
      } finally {
        close();
      }
    });

    test('readSince returns the events after a seq, in order, at most limit', async () => {
      const { log, close } = open();
      try {
        for (let n = 1; n <= 10; n += 1) await log.append(status(n));
        const read = await log.readSince(4, 3);
        assert.equal(read.gap, false);
        assert.deepEqual((read as { events: HubEvent[] }).events.map((e) => e.seq), [5, 6, 7]);
        assert.deepEqual(await log.readSince(10, 5), { gap: false, events: [] });
      } finally {
        close();
      }
    });

    test('after pruning, reading from before the oldest kept event is a gap, and seq never goes back', async () => {
      const { log, close } = open();
      try {
        for (let n = 1; n <= 5; n += 1) await log.append(status(n));
        assert.equal(await log.prune(Date.now() + 1), 5);
        assert.equal((await log.readSince(2, 10)).gap, true);
        assert.deepEqual(await log.readSince(5, 10), { gap: false, events: [] }, 'nothing missed from the last seq');
        assert.equal((await log.append(status(6))).seq, 6);
      } finally {
        close();
      }
    });

    test('survives a reopen', async () => {
      const handle = open();
      try {
        await handle.log.append(status(1));
        const reopened = handle.reopen();
        assert.equal(await reopened.lastSeq(), 1);
        assert.equal((await reopened.append(status(2))).seq, 2);
      } finally {
        handle.close();
      }
    });

    test('through the local bus, events published during delivery keep seq order', async () => {
      const { log, close } = open();
      try {
        const bus = createLocalBus({ log, onError: (error) => assert.fail(String(error)) });
        const seen: number[] = [];
        bus.subscribe((event) => {
          if (event.seq !== undefined) seen.push(event.seq);
          if (event.data.n === 1) bus.publish('status.test', { n: 3 });
        });
        bus.publish('status.test', { n: 1 });
        bus.publish('status.test', { n: 2 });
        await bus.flush();
        assert.deepEqual(seen, [1, 2, 3]);
      } finally {
        close();
      }
    });
  });
}

for (const implementation of implementations) eventLogSuite(implementation);
