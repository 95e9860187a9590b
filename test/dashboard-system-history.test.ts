/** The dashboard's chart columns (src/dashboard/system-history.ts): samples from history and live, and the gaps where none came. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DataReply, SystemMetrics } from '../src/client/index.js';
import { gapThreshold, HISTORY_METRICS, SystemHistory } from '../src/dashboard/system-history.js';

const T0 = Date.parse('2024-05-01T12:00:00Z');

/** A request_data answer with one sample of every charted metric at each second offset given (cpu = the offset, counters growing 100 B/s). */
function reply(offsets: readonly number[], step = 0): DataReply {
  const samples = (value: (offset: number) => number) =>
    offsets.map((offset) => ({ timestamp: new Date(T0 + offset * 1000).toISOString(), value: value(offset) }));
  const values: Record<string, (offset: number) => number> = {
    cpu_percent: (offset) => offset,
    memory_percent: () => 50,
    disk_usage_percent: () => 20,
    'network_io.bytes_sent': (offset) => 1000 + offset * 100,
    'network_io.bytes_recv': (offset) => 5000 + offset * 100,
  };
  return {
    history_minutes: 10,
    unknown_metrics: [],
    metrics: Object.fromEntries(
      HISTORY_METRICS.map((metric) => [metric, { current: null, step_seconds: step, samples: samples(values[metric]!) }]),
    ),
  };
}

const sample = (cpu: number, sent: number): SystemMetrics => ({
  cpu_percent: cpu,
  memory_percent: 50,
  disk_usage_percent: 20,
  network_io: { bytes_sent: sent, bytes_recv: sent },
  process_count: 1,
});

describe('system history', () => {
  test('samples a second apart are one line; a stretch of 30 s without any is a gap: a row of nulls halfway, listed with its ends', () => {
    const history = new SystemHistory();
    const before = [0, 1, 2, 3, 4, 5];
    const after = [35, 36, 37];
    history.applyHistory(reply([...before, ...after]));
    assert.deepEqual(history.gaps(), [{ from: (T0 + 5000) / 1000, to: (T0 + 35_000) / 1000 }]);
    assert.equal(history.times.length, before.length + after.length + 1);
    const gapRow = before.length;
    assert.equal(history.times[gapRow], (T0 + 20_000) / 1000);
    assert.ok(history.isGap(gapRow));
    assert.deepEqual(
      [history.cpu[gapRow], history.memory[gapRow], history.sendRate[gapRow], history.recvRate[gapRow]],
      [null, null, null, null],
    );
    assert.equal(history.sendRate[gapRow + 1], null, 'no rate across the gap');
    assert.equal(history.sendRate[gapRow + 2], 100, 'and the usual one after it');
    assert.deepEqual(history.cpu.slice(gapRow + 1), [35, 36, 37]);
  });

  test('a delay under the threshold is no gap; the threshold follows the sampling interval (bucketed history too)', () => {
    assert.equal(gapThreshold(1), 3);
    assert.equal(gapThreshold(0.2), 2.2);
    assert.equal(gapThreshold(10), 30);
    const late = new SystemHistory();
    late.applyHistory(reply([0, 1, 2, 3, 5.5, 6.5]));
    assert.deepEqual(late.gaps(), [], '2.5 s is under 3');
    const buckets = new SystemHistory();
    buckets.applyHistory(reply([0, 10, 20, 30, 50, 60, 120], 10));
    assert.deepEqual(
      buckets.gaps().map(({ from, to }) => [from - T0 / 1000, to - T0 / 1000]),
      [[60, 120]],
      'a missing 10 s bucket is not a gap, 60 s are',
    );
  });

  test('a live sample long after the last one opens a gap; live rows newer than a reloaded history are kept, the gap rows made again', () => {
    const history = new SystemHistory();
    history.applyHistory(reply([0, 1, 2]));
    history.add(T0 + 3000, sample(3, 1300));
    history.add(T0 + 60_000, sample(60, 7000));
    assert.deepEqual(history.gaps(), [{ from: (T0 + 3000) / 1000, to: (T0 + 60_000) / 1000 }]);
    history.add(T0 + 59_000, sample(59, 6900));
    assert.equal(history.cpu.at(-1), 60, 'an older sample is dropped');
    history.applyHistory(reply([0, 1, 2, 3]));
    assert.deepEqual(
      history.cpu.filter((cpu) => cpu !== null),
      [0, 1, 2, 3, 60],
    );
    assert.equal(history.gaps().length, 1);
  });

  test('the window keeps its last ten minutes, and never starts with a gap', () => {
    const history = new SystemHistory();
    history.applyHistory(reply([0, 1, 2]));
    history.add(T0 + 700_000, sample(1, 1));
    history.add(T0 + 701_000, sample(2, 2));
    assert.equal(history.isGap(0), false);
    assert.deepEqual(history.cpu, [1, 2]);
    assert.deepEqual(history.gaps(), []);
  });
});
