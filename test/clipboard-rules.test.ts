/** Clipboard rules: how patterns, trackers and sizes match, first match wins, defaults, and regular expressions that could hang refused or cut off. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePattern, parseSize, REGEX_TIME_LIMIT_MS } from '../src/config/clipboard-rules.js';
import { ConfigError, validateConfig } from '../src/config/validate.js';
import type { ValidTorrentLink } from '../src/sources/clipboard/find-torrent-links.js';
import { decide } from '../src/sources/clipboard/rules.js';

const HEX = '08ada5a7a6183aae1e09d831df6748d566095a10';

function link(overrides: Partial<ValidTorrentLink> = {}): ValidTorrentLink {
  const url = `magnet:?xt=urn:btih:${HEX}`;
  return {
    valid: true,
    kind: 'magnet',
    raw: url,
    url,
    key: HEX,
    aliases: [],
    infoHash: HEX,
    name: null,
    trackers: [],
    size: null,
    ...overrides,
  };
}

function clipboard(section: object) {
  return validateConfig({ clipboard: section }, 'test').clipboard;
}

function problems(section: object): string[] {
  try {
    validateConfig({ clipboard: section }, 'test');
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
}

const noTimeout = () => assert.fail('no regular expression should run out of time here');

describe('patterns', () => {
  const matches = (pattern: string, value: string) => {
    const compiled = compilePattern(pattern);
    assert.ok(compiled.ok, `${pattern} compiles`);
    return compiled.value.test(value);
  };

  test('a plain pattern is a case-insensitive substring; ? and . are literal there', () => {
    const compiled = compilePattern('s01e');
    assert.equal(compiled.ok && compiled.value.kind, 'substring');
    assert.ok(matches('s01e', 'Show.S01E02.720p'));
    assert.ok(!matches('s02e', 'Show.S01E02.720p'));
    assert.ok(matches('magnet:?xt', 'MAGNET:?XT=urn'));
    assert.ok(!matches('a.b', 'axb'));
  });

  test('with * a glob over the whole value: * any run, ? one character, case-insensitive', () => {
    assert.ok(matches('*.S??E??.*', 'show.s01e02.720p'));
    assert.ok(!matches('*.S??E??.*', 'show.s1e2.720p'));
    assert.ok(matches('ubuntu*', 'Ubuntu 24.04 desktop'));
    assert.ok(!matches('ubuntu*', 'kubuntu 24.04'), 'anchored at the start');
    assert.ok(matches('*', ''));
  });

  test('a glob with many stars on a long near miss answers at once (no backtracking blow-up)', () => {
    const started = performance.now();
    assert.ok(!matches(`${'*a'.repeat(20)}*b`, 'a'.repeat(5000)));
    assert.ok(performance.now() - started < 1000);
  });

  test('/regex/ is case-insensitive; /regex/flags has exactly the flags given', () => {
    assert.ok(matches('/s\\d{2}e\\d{2}/', 'Show.S01E02'));
    assert.ok(!matches('/s\\d{2}e\\d{2}/s', 'Show.S01E02'), 'flags given without i: case-sensitive');
    assert.ok(matches('/s\\d{2}e\\d{2}/is', 'Show.S01E02'));
  });

  test('sizes: bytes, or a number with a decimal or binary unit', () => {
    assert.equal(parseSize(1234), 1234);
    assert.equal(parseSize('700 MB'), 700_000_000);
    assert.equal(parseSize('4 GiB'), 4 * 2 ** 30);
    assert.equal(parseSize('1.5GB'), 1_500_000_000);
  });
});

describe('validation', () => {
  test('a regular expression that could backtrack catastrophically is refused with a clear reason', () => {
    const found = problems({ rules: [{ name: 'bad', match: { name: '/(a+)+$/' }, category: 'x' }] });
    assert.equal(found.length, 1);
    assert.match(found[0] ?? '', /^clipboard\.rules\.0\.match\.name: refused: it could backtrack catastrophically/);
    assert.match(problems({ rules: [{ name: 'bad', match: { url: '/(\\w*)*x/' } }] })[0] ?? '', /clipboard\.rules\.0\.match\.url: refused/);
  });

  test('an invalid regular expression, unknown flags, duplicate names, min above max, skip with actions', () => {
    const found = problems({
      rules: [
        { name: 'a', match: { name: '/(unclosed/' } },
        { name: 'a', match: { url: '/x/g' } },
        { name: 'c', match: { size: { min: '2 GB', max: '1 GB' } } },
        { name: 'd', match: {}, skip: true, category: 'never' },
      ],
    });
    assert.deepEqual(
      found.map((problem) => problem.split(':')[0]),
      [
        'clipboard.rules.0.match.name',
        'clipboard.rules.1.name',
        'clipboard.rules.1.match.url',
        'clipboard.rules.2.match.size',
        'clipboard.rules.3.skip',
      ],
    );
    assert.match(found[0] ?? '', /not a valid regular expression/);
    assert.match(found[2] ?? '', /only i, m, s and u/);
  });

  test('fast_check_interval above check_interval is refused', () => {
    assert.throws(
      () => validateConfig({ check_interval: 0.5, clipboard: { fast_check_interval: 1 } }, 'test'),
      (error: unknown) =>
        error instanceof ConfigError && /clipboard\.fast_check_interval: must not exceed check_interval/.test(error.problems.join()),
    );
  });

  test('what the schema refuses: a size with an unknown unit, a tag with a comma, an unknown action', () => {
    assert.equal(problems({ rules: [{ name: 'a', match: { size: { min: '3 parsecs' } } }] }).length > 0, true);
    assert.equal(problems({ rules: [{ name: 'a', match: {}, tags: ['a,b'] }] }).length > 0, true);
    assert.equal(problems({ rules: [{ name: 'a', match: {}, delete: true }] }).length > 0, true);
  });
});

describe('deciding', () => {
  const rules = clipboard({
    category: 'clipboard',
    save_path: '/srv/other',
    rules: [
      { name: 'private', match: { tracker: 'tracker.private.example' }, paused: true, tags: ['private'] },
      { name: 'tv', match: { name: '/S\\d{2}E\\d{2}/' }, category: 'tv', save_path: '/srv/tv', tags: ['series'] },
      { name: 'films', match: { name: '*.1080p.*', size: { min: '1 GB' } }, category: 'movies' },
      { name: 'samples', match: { url: 'sample' }, skip: true },
    ],
  });

  test('first match wins: a TV show from the private tracker is the tracker rule’s', () => {
    const decision = decide(link({ name: 'Show.S01E02', trackers: ['https://tracker.private.example/announce'] }), rules, noTimeout);
    assert.deepEqual(decision, { rule: 'private', category: null, tags: ['private'], save_path: null, paused: true, skip: false });
  });

  test('a tracker on a subdomain of the host matches; another host does not', () => {
    assert.equal(decide(link({ trackers: ['udp://a.tracker.private.example:6969'] }), rules, noTimeout).rule, 'private');
    assert.equal(decide(link({ trackers: ['udp://tracker.private.example.evil:6969'] }), rules, noTimeout).rule, null);
  });

  test('the rule’s own placement, not the defaults', () => {
    assert.deepEqual(decide(link({ name: 'Show.S01E02.720p' }), rules, noTimeout), {
      rule: 'tv',
      category: 'tv',
      tags: ['series'],
      save_path: '/srv/tv',
      paused: false,
      skip: false,
    });
  });

  test('a size rule matches a known size in range, never an unknown size', () => {
    const film = { name: 'Film.2019.1080p.BluRay' };
    assert.equal(decide(link({ ...film, size: 8 * 2 ** 30 }), rules, noTimeout).rule, 'films');
    assert.equal(decide(link({ ...film, size: 5e8 }), rules, noTimeout).rule, null);
    assert.equal(decide(link({ ...film, size: null }), rules, noTimeout).rule, null);
  });

  test('skip; and no match: the clipboard defaults', () => {
    assert.equal(decide(link({ url: 'https://example.com/sample.torrent', kind: 'torrent_url' }), rules, noTimeout).skip, true);
    assert.deepEqual(decide(link({ name: 'Something else' }), rules, noTimeout), {
      rule: null,
      category: 'clipboard',
      tags: [],
      save_path: '/srv/other',
      paused: false,
      skip: false,
    });
  });

  test('a regular expression the star-height check lets through still cannot hang: cut off, no match, the next rule decides', () => {
    // (a|a)* has star height 1, yet takes exponential time on a near miss.
    const hostile = clipboard({
      rules: [
        { name: 'hostile', match: { name: '/^(a|a)*b$/' }, category: 'never' },
        { name: 'next', match: { name: 'aaa' }, category: 'fallback' },
      ],
    });
    const timeouts: string[] = [];
    const started = performance.now();
    const decision = decide(link({ name: 'a'.repeat(40) }), hostile, (rule, field) => timeouts.push(`${rule}.${field}`));
    const elapsed = performance.now() - started;
    assert.equal(decision.rule, 'next');
    assert.deepEqual(timeouts, ['hostile.name']);
    assert.ok(elapsed < REGEX_TIME_LIMIT_MS * 20, `cut off after ${elapsed} ms`);
  });
});
