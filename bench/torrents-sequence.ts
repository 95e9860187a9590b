/**
 * A maindata sequence of N torrents for the torrents benchmark, built from the answers recorded from the
 * real qbittorrent-nox 4.5 (test/fixtures/maindata-qbittorrent-4.5.2.json): every torrent is the
 * recording's downloading torrent (its 48 fields and their values) under another hash and name, and each
 * step changes 1% of them with the very fields qBittorrent sent for a download in progress.
 */
import { readFileSync } from 'node:fs';

type Torrent = Record<string, unknown>;

const recorded = JSON.parse(readFileSync(new URL('../test/fixtures/maindata-qbittorrent-4.5.2.json', import.meta.url), 'utf8')) as Array<
  Record<string, any>
>;
const first = recorded[0]!;
/** The recording's download (`ubuntu-24.04.iso`), all its answers folded into one entry. */
const folded = new Map<string, Torrent>();
for (const answer of recorded) {
  for (const [hash, fields] of Object.entries((answer.torrents ?? {}) as Record<string, Torrent>))
    folded.set(hash, { ...folded.get(hash), ...fields });
}
const template = [...folded.values()].find((t) => t.name === 'ubuntu-24.04.iso')!;
/**
 * The fields qBittorrent sent in a partial answer while that download progressed: amount_left,
 * availability, completed, dlspeed, downloaded, downloaded_session, eta, progress, seen_complete, state,
 * time_active.
 */
const CHANGED_KEYS = Object.keys(
  recorded
    .filter((answer) => answer.full_update !== true)
    .map((answer) => Object.values((answer.torrents ?? {}) as Record<string, Torrent>).find((t) => 'dlspeed' in t && 'progress' in t))
    .find(Boolean)!,
);

/** A deterministic pseudo-random source, so that every target replays the same sequence. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

export interface Sequence {
  /** Answer 0 is full (`rid` 1); answer k acknowledges rid k and changes 1% of the torrents. */
  maindata(step: number): string;
  /** `torrents/info` after `step` answers: every torrent with every field (steps asked in increasing order). */
  torrentsInfo(step: number): string;
  steps: number;
}

export function torrentsSequence(count: number, steps: number): Sequence {
  const rand = random(count);
  const hashes = Array.from({ length: count }, (_, i) => i.toString(16).padStart(40, '0'));
  const initial = (): Map<string, Torrent> =>
    new Map(
      hashes.map((hash, i) => [
        hash,
        { ...template, name: `torrent-${i}.iso`, infohash_v1: hash, progress: (i % 97) / 100, state: 'downloading' },
      ]),
    );
  const state = initial();
  const answers: string[] = [
    JSON.stringify({ rid: 1, full_update: true, server_state: first.server_state, torrents: Object.fromEntries(state) }),
  ];
  const changes: Array<Record<string, Torrent>> = [{}];
  const perStep = Math.max(1, Math.round(count / 100));
  for (let step = 1; step <= steps; step += 1) {
    const changed: Record<string, Torrent> = {};
    for (let n = 0; n < perStep; n += 1) {
      const hash = hashes[Math.floor(rand() * count)]!;
      const torrent = state.get(hash)!;
      const update: Torrent = {};
      for (const key of CHANGED_KEYS) {
        const current = torrent[key];
        if (key === 'progress') update[key] = Math.min(0.999, (current as number) + rand() / 100);
        else if (key === 'dlspeed') update[key] = Math.round(rand() * 2_000_000);
        else if (key === 'eta') update[key] = Math.round(rand() * 86_400);
        else update[key] = typeof current === 'number' ? Math.round(current + rand() * 100_000) : current;
      }
      Object.assign(torrent, update);
      changed[hash] = update;
    }
    changes.push(changed);
    const serverState = { dl_info_speed: Math.round(rand() * 10_000_000), dl_info_data: step * 10_000_000 };
    answers.push(JSON.stringify({ rid: step + 1, server_state: serverState, torrents: changed }));
  }
  // torrents/info is rebuilt as asked, from its own copy: the whole list of every step would not fit in memory at 10,000.
  const infoState = initial();
  let infoStep = 0;
  return {
    steps,
    maindata: (step) => answers[Math.min(step, steps)]!,
    torrentsInfo(step) {
      for (; infoStep < Math.min(step, steps); infoStep += 1) {
        for (const [hash, update] of Object.entries(changes[infoStep + 1]!)) Object.assign(infoState.get(hash)!, update);
      }
      return JSON.stringify([...infoState].map(([hash, t]) => ({ hash, ...t })));
    },
  };
}
