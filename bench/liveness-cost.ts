/**
 * Cost of the store's pulse: every ALIVE_EVERY_MS the data directory is checked (two stats and an
 * access check) and the run record rewritten in place through an open descriptor, against the previous
 * way (the record file truncated and written every 15 s). Per beat in microseconds, and per hour of
 * running; medians of rounds. Wall time: the calls are synchronous, so it is also what the event loop waits.
 */
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ALIVE_EVERY_MS, createLifecycle } from '../src/sources/lifecycle.js';
import { dataDirLoss, identify } from '../src/store/data-dir.js';
import { databasePath, openDatabase } from '../src/store/database.js';

// Run: npx tsx bench/liveness-cost.ts [--beats 2000] [--rounds 5]
const { values } = parseArgs({ options: { beats: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' } } });
const beats = Number(values.beats);
const rounds = Number(values.rounds);

const dir = mkdtempSync(join(tmpdir(), 'qbtm-liveness-'));
const db = openDatabase(dir);
const database = databasePath(dir);
const opened = identify(database);
const lifecycle = createLifecycle(dir, () => undefined);
lifecycle.announceStart();
const oldFile = join(dir, 'old-run.json');
const startedAt = new Date().toISOString();

const contenders = [
  {
    name: `qbt-monitor: directory checked, record rewritten in place, every ${ALIVE_EVERY_MS / 1000} s`,
    everyMs: ALIVE_EVERY_MS,
    beat: () => {
      if (dataDirLoss(dir, database, opened) !== undefined) throw new Error('lost?');
      accessSync(dir, constants.W_OK);
      lifecycle.recordAlive();
    },
  },
  {
    name: 'before: record rewritten (truncated) every 15 s',
    everyMs: 15_000,
    beat: () =>
      writeFileSync(
        oldFile,
        `${JSON.stringify({ pid: process.pid, started_at: startedAt, alive_at: new Date().toISOString() }, null, 2)}\n`,
      ),
  },
];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const perBeat = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
for (let round = 0; round < rounds; round += 1) {
  // Side by side, alternating, so that the shared machine's noise falls on both.
  for (const contender of contenders) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < beats; i += 1) contender.beat();
    perBeat.get(contender.name)!.push(Number(process.hrtime.bigint() - started) / 1000 / beats);
  }
}

console.log(`liveness: ${rounds} rounds x ${beats} beats; medians; node ${process.version}\n`);
console.log('| what | µs per beat | beats per hour | ms per hour | share of one core |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const { name, everyMs } of contenders) {
  const us = median(perBeat.get(name)!);
  const perHour = 3_600_000 / everyMs;
  const share = us / 1000 / everyMs;
  console.log(`| ${name} | ${us.toFixed(1)} | ${perHour} | ${((us * perHour) / 1000).toFixed(1)} | ${(share * 100).toFixed(4)} % |`);
}
db.close();
rmSync(dir, { recursive: true, force: true });
