/** findTorrentLinks: magnet links (v1 hex and base32, v2, hybrid) and .torrent URLs found in any text, valid or with a reason. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type FoundLink,
  findTorrentLinks,
  type InvalidTorrentLink,
  type TorrentFileRef,
  type TorrentLink,
  type ValidTorrentLink,
} from '../src/sources/clipboard/find-torrent-links.js';

// Sintel's info-hash, and the same 20 bytes in RFC 4648 base32 (computed with Python's base64.b32encode).
const HEX = '08ada5a7a6183aae1e09d831df6748d566095a10';
const BASE32 = 'BCW2LJ5GDA5K4HQJ3AY56Z2I2VTASWQQ';
const OTHER_HEX = 'dd8255ecdc7ca55fb0bbf81323d87062db1f6d1c';
const V2 = `1220${'ab'.repeat(32)}`;
const magnet = (hash: string, rest = '') => `magnet:?xt=urn:btih:${hash}${rest}`;

function valid(link: FoundLink | undefined): ValidTorrentLink {
  assert.ok(link && !('unread' in link) && link.valid, `expected a valid link, got ${JSON.stringify(link)}`);
  return link;
}

function invalid(link: FoundLink | undefined): InvalidTorrentLink {
  assert.ok(link && !('unread' in link) && !link.valid, `expected an invalid link, got ${JSON.stringify(link)}`);
  return link;
}

function only(text: string, options = {}): TorrentLink {
  const link = onlyFound(text, options);
  assert.ok(!('unread' in link), `expected a link, got a file to read: ${JSON.stringify(link)}`);
  return link;
}

function onlyFound(text: string, options = {}): FoundLink {
  const links = findTorrentLinks(text, options);
  assert.equal(links.length, 1, `expected one link in ${JSON.stringify(text)}, got ${JSON.stringify(links)}`);
  return links[0]!;
}

function fileRef(link: FoundLink | undefined): TorrentFileRef {
  assert.ok(link && 'unread' in link, `expected a .torrent file, got ${JSON.stringify(link)}`);
  return link;
}

describe('magnet info-hashes', () => {
  test('a 40-hex v1 hash is the key, lowercased', () => {
    const link = valid(only(magnet(HEX.toUpperCase(), '&dn=Sintel')));
    assert.equal(link.kind, 'magnet');
    assert.equal(link.key, HEX);
    assert.equal(link.infoHash, HEX);
    assert.deepEqual(link.aliases, []);
    assert.equal(link.name, 'Sintel');
    assert.equal(link.url, magnet(HEX.toUpperCase(), '&dn=Sintel'));
  });

  test('a 32-character base32 hash becomes the same lowercase hex, in either case', () => {
    assert.equal(valid(only(magnet(BASE32))).key, HEX);
    assert.equal(valid(only(magnet(BASE32.toLowerCase()))).key, HEX);
  });

  test('a v2-only magnet is keyed by its SHA-256 multihash', () => {
    const link = valid(only(`magnet:?xt=urn:btmh:${V2.toUpperCase()}&dn=v2`));
    assert.equal(link.key, V2);
    assert.equal(link.infoHash, V2);
  });

  test('a hybrid magnet is keyed by its v1 hash, with its v2 hash as an alias', () => {
    const link = valid(only(`magnet:?xt=urn:btih:${HEX}&xt=urn:btmh:${V2}`));
    assert.equal(link.key, HEX);
    assert.deepEqual(link.aliases, [V2]);
  });

  test('numbered exact topics (xt.1, xt.2) are read, and other namespaces beside btih ignored', () => {
    assert.equal(valid(only(`magnet:?xt.1=urn:sha1:YNCKHTQCWBTRNJIV4WNAE52SJUQCZO5C&xt.2=urn:btih:${HEX}`)).key, HEX);
  });

  test('parameter names and the urn are read case-insensitively', () => {
    assert.equal(valid(only(`MAGNET:?XT=URN:BTIH:${HEX}&DN=Loud`)).key, HEX);
  });
});

describe('magnet display names', () => {
  test('dn is decoded: percent-encoding, + for space, UTF-8', () => {
    assert.equal(only(magnet(HEX, '&dn=Big+Buck%20Bunny')).name, 'Big Buck Bunny');
    assert.equal(only(magnet(HEX, '&dn=%E4%B8%AD%E6%96%87%E5%90%8D')).name, '中文名');
  });

  test('an unencoded non-ASCII dn is kept whole', () => {
    assert.equal(only(magnet(HEX, '&dn=中文名')).name, '中文名');
  });

  test('no dn, or an empty one, gives a null name', () => {
    assert.equal(only(magnet(HEX)).name, null);
    assert.equal(only(magnet(HEX, '&dn=')).name, null);
  });

  test('a malformed percent-escape does not throw', () => {
    assert.equal(only(magnet(HEX, '&dn=100%')).name, '100%');
  });
});

describe('invalid magnets, each with a reason', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['no xt', 'magnet:?dn=nothing&tr=udp%3A%2F%2Ftracker', /missing xt/],
    ['nothing after the ?', 'magnet:?', /missing xt/],
    ['xt of another network', 'magnet:?xt=urn:ed2k:31D6CFE0D16AE931B73C59D7E0C089C0', /no BitTorrent info-hash: xt is urn:ed2k/],
    ['a hex hash one digit short', magnet(HEX.slice(0, 39)), /bad info-hash length: 39 characters/],
    ['a hex hash one digit long', magnet(`${HEX}0`), /bad info-hash length: 41 characters/],
    ['an empty hash', 'magnet:?xt=urn:btih:&dn=x', /bad info-hash length: 0 characters/],
    ['40 characters that are not hex', magnet(`${HEX.slice(0, 39)}g`), /bad hex info-hash: "g"/],
    ['base32 with a digit outside its alphabet', magnet(`${BASE32.slice(0, 31)}1`), /bad base32 info-hash: "1"/],
    ['a v2 hash without the SHA-256 multihash prefix', `magnet:?xt=urn:btmh:1114${'ab'.repeat(32)}`, /bad v2 info-hash/],
    ['a v2 hash too short', `magnet:?xt=urn:btmh:1220${'ab'.repeat(31)}`, /bad v2 info-hash/],
  ];
  for (const [what, text, reason] of cases) {
    test(what, () => {
      const link = invalid(only(text));
      assert.equal(link.kind, 'magnet');
      assert.match(link.reason, reason);
      assert.equal(link.raw, text);
    });
  }

  test('an invalid magnet keeps its display name for the report', () => {
    assert.equal(only(magnet('abc', '&dn=Named')).name, 'Named');
  });
});

describe('.torrent URLs', () => {
  test('http and https URLs ending in .torrent, keyed by the normalized URL', () => {
    const link = valid(only('HTTPS://Example.COM:443/files/../torrents/Ubuntu%2024.04.torrent#details'));
    assert.equal(link.kind, 'torrent_url');
    assert.equal(link.url, 'https://example.com/torrents/Ubuntu%2024.04.torrent');
    assert.equal(link.key, link.url);
    assert.equal(link.infoHash, null);
    assert.equal(link.name, 'Ubuntu 24.04');
    assert.equal(valid(only('http://example.com/a.TORRENT')).url, 'http://example.com/a.TORRENT');
  });

  test('a query is allowed and kept (it often carries the passkey)', () => {
    assert.equal(
      valid(only('https://tracker.example/dl/x.torrent?passkey=abc&id=1')).url,
      'https://tracker.example/dl/x.torrent?passkey=abc&id=1',
    );
  });

  test('other schemes are found but invalid', () => {
    const link = invalid(only('ftp://mirror.example/pub/debian.iso.torrent'));
    assert.equal(link.kind, 'torrent_url');
    assert.match(link.reason, /not an http\(s\) URL/);
    assert.equal(link.name, 'debian.iso');
  });

  test('a URL that cannot be parsed is invalid', () => {
    assert.equal(invalid(only('http://[::1/x.torrent')).reason, 'malformed URL');
  });

  test('URLs of anything else are not links', () => {
    assert.deepEqual(findTorrentLinks('see https://example.com/page and http://example.com/dl.php?file=a.torrent'), []);
  });
});

describe('finding links in text', () => {
  test('nothing in plain text, or in an empty one', () => {
    assert.deepEqual(findTorrentLinks(''), []);
    assert.deepEqual(findTorrentLinks('a magnet: is a thing that attracts iron; torrents are fast rivers.'), []);
  });

  test('several links separated by newlines, spaces and tabs, in order of appearance', () => {
    const text = `${magnet(HEX)}\n${magnet(OTHER_HEX)} \thttps://example.com/a.torrent\r\n${magnet('bad')}`;
    const links = findTorrentLinks(text);
    assert.deepEqual(
      links.map((link) => [link.kind, 'valid' in link && link.valid]),
      [
        ['magnet', true],
        ['magnet', true],
        ['torrent_url', true],
        ['magnet', false],
      ],
    );
    assert.equal(valid(links[1]).key, OTHER_HEX);
  });

  test('links inside prose, quotes, angle brackets and markdown, without their punctuation', () => {
    const text = [
      `Get it here: ${magnet(HEX)}.`,
      `"${magnet(OTHER_HEX)}",`,
      `<https://example.com/a.torrent>`,
      `[Sintel](https://example.com/b.torrent)!`,
      `(mirror: https://example.com/wiki/Film_(2010).torrent)`,
    ].join(' ');
    const links = findTorrentLinks(text).map(valid);
    assert.deepEqual(
      links.map((link) => link.key),
      [HEX, OTHER_HEX, 'https://example.com/a.torrent', 'https://example.com/b.torrent', 'https://example.com/wiki/Film_(2010).torrent'],
    );
  });

  test('two magnets pasted without a separator are two links', () => {
    const links = findTorrentLinks(`${magnet(HEX)}${magnet(OTHER_HEX)}`).map(valid);
    assert.deepEqual(
      links.map((link) => link.key),
      [HEX, OTHER_HEX],
    );
    assert.equal(links[0]!.url, magnet(HEX));
  });

  test('Chinese punctuation or text glued after a magnet ends it', () => {
    assert.equal(valid(only(`磁力链接：${magnet(HEX)}。`)).key, HEX);
    assert.equal(valid(only(`下载：${magnet(HEX)}复制到客户端`)).key, HEX);
  });

  test('a magnet copied from HTML source, with &amp;', () => {
    const link = valid(only(`<a href="${magnet(HEX, '&amp;dn=Sintel&amp;tr=udp%3A%2F%2Ft')}">`));
    assert.equal(link.name, 'Sintel');
    assert.equal(link.url, magnet(HEX, '&dn=Sintel&tr=udp%3A%2F%2Ft'));
  });

  test("a magnet's own tracker and source URLs are not separate links", () => {
    const text = magnet(HEX, '&tr=http://tracker.example/announce&xs=http://cache.example/sintel.torrent');
    const link = valid(only(text));
    assert.equal(link.url, text);
  });

  test("the same torrent twice is reported twice: de-duplication is the caller's", () => {
    const links = findTorrentLinks(`${magnet(HEX, '&dn=a')} ${magnet(BASE32, '&dn=b')}`).map(valid);
    assert.deepEqual(
      links.map((link) => link.key),
      [HEX, HEX],
    );
  });

  test('a megabyte of text without separators is searched quickly', () => {
    const started = performance.now();
    assert.deepEqual(findTorrentLinks('a'.repeat(1024 * 1024)), []);
    assert.deepEqual(findTorrentLinks(`magnet:?${'a'.repeat(1024 * 1024)}`).length, 1);
    assert.ok(performance.now() - started < 2000);
  });
});

describe('what a magnet says about its torrent', () => {
  test('trackers (tr, tr.N) and the exact length (xl) are read', () => {
    const link = valid(only(magnet(HEX, '&tr=udp%3A%2F%2Ftracker.example.org%3A1337&tr.1=https://t2.example/announce&xl=734003200')));
    assert.deepEqual(link.trackers, ['udp://tracker.example.org:1337', 'https://t2.example/announce']);
    assert.equal(link.size, 734003200);
  });

  test('no xl, or a malformed one, leaves the size unknown', () => {
    assert.equal(valid(only(magnet(HEX))).size, null);
    assert.equal(valid(only(magnet(HEX, '&xl=12abc'))).size, null);
  });
});

describe('thunder:// links', () => {
  const thunder = (url: string) => `thunder://${Buffer.from(`AA${url}ZZ`).toString('base64')}`;

  test('a wrapped magnet is that magnet, found where the thunder link is', () => {
    const wrapped = magnet(HEX, '&dn=Sintel');
    const link = valid(only(`迅雷下载：${thunder(wrapped)} 快`));
    assert.equal(link.kind, 'magnet');
    assert.equal(link.key, HEX);
    assert.equal(link.url, wrapped);
    assert.equal(link.name, 'Sintel');
    assert.equal(link.raw, thunder(wrapped));
  });

  test('a wrapped .torrent URL is that URL', () => {
    const link = valid(only(thunder('https://example.com/files/Sintel.torrent')));
    assert.equal(link.kind, 'torrent_url');
    assert.equal(link.url, 'https://example.com/files/Sintel.torrent');
  });

  test('a GBK-encoded wrapped magnet (as Chinese sites make them) is decoded', () => {
    const gbk = Buffer.concat([Buffer.from(`AA${magnet(HEX, '&dn=')}`), Buffer.from([0xd6, 0xd0, 0xce, 0xc4]), Buffer.from('ZZ')]);
    assert.equal(valid(only(`thunder://${gbk.toString('base64')}`)).name, '中文');
  });

  test('a thunder link to anything else, or not base64 of AA…ZZ, is not a link', () => {
    assert.deepEqual(findTorrentLinks(thunder('http://example.com/setup.exe')), []);
    assert.deepEqual(findTorrentLinks(`thunder://${Buffer.from(magnet(HEX)).toString('base64')}`), []);
    assert.deepEqual(findTorrentLinks('thunder://not*base64'), []);
  });
});

describe('.torrent files', () => {
  test('a file:// URI is percent-decoded into the path to read', () => {
    const ref = fileRef(onlyFound('file:///home/me/Downloads/Big%20Buck%20Bunny%20%E4%B8%AD.torrent'));
    assert.equal(ref.kind, 'torrent_file');
    assert.equal(ref.path, '/home/me/Downloads/Big Buck Bunny 中.torrent');
  });

  test("a file manager's copy (x-special/gnome-copied-files text) gives each file once", () => {
    const links = findTorrentLinks('copy\nfile:///tmp/a.torrent\nfile:///tmp/b%20c.torrent\nfile:///tmp/notes.txt\n');
    assert.deepEqual(
      links.map((link) => fileRef(link).path),
      ['/tmp/a.torrent', '/tmp/b c.torrent'],
    );
  });

  test('absolute paths on lines of their own, spaces and all; not a path inside a sentence', () => {
    const links = findTorrentLinks('/home/me/My Show S01E01.torrent\n  C:\\Users\\me\\film.torrent\r\nsee /tmp/x.torrent here');
    assert.deepEqual(
      links.map((link) => fileRef(link).path),
      ['/home/me/My Show S01E01.torrent', 'C:\\Users\\me\\film.torrent'],
    );
  });

  test('a file:// URI with a remote host is invalid, with a reason', () => {
    const link = invalid(only('file://server.example/share/x.torrent'));
    assert.equal(link.kind, 'torrent_file');
    assert.match(link.reason, /not a local file/);
  });
});

describe('bare info-hashes', () => {
  test('ignored by default: a hash-looking string is often something else (a git commit)', () => {
    assert.deepEqual(findTorrentLinks(`commit ${HEX}\n${BASE32}`), []);
  });

  test('with acceptBareHashes: 40 hex and 32 base32, each a magnet of that hash', () => {
    const links = findTorrentLinks(`${HEX.toUpperCase()} and ${BASE32}`, { acceptBareHashes: true }).map(valid);
    assert.deepEqual(
      links.map((link) => [link.kind, link.key, link.url]),
      [
        ['info_hash', HEX, `magnet:?xt=urn:btih:${HEX}`],
        ['info_hash', HEX, `magnet:?xt=urn:btih:${HEX}`],
      ],
    );
  });

  test('with acceptBareHashes: not a hash inside a link, a longer word, or lowercase base32', () => {
    const text = `${magnet(HEX)} https://example.com/${OTHER_HEX}/x.torrent ${HEX}0 ${BASE32.toLowerCase()}`;
    assert.deepEqual(
      findTorrentLinks(text, { acceptBareHashes: true }).map((link) => link.kind),
      ['magnet', 'torrent_url'],
    );
  });
});
