/**
 * Finds every torrent link in a text: magnet links, .torrent URLs, thunder:// links wrapping either,
 * .torrent files (file:// URIs, absolute paths on a line of their own) and, when asked, bare
 * info-hashes. Each is valid (with the key identifying its torrent) or invalid with a reason; a file
 * is only named here, and read by readTorrentFile.
 */
import { fileURLToPath } from 'node:url';
import type { LinkSummary } from '../../protocol/index.js';
import { normalizeBtih, normalizeBtmh } from './info-hash.js';

/** A magnet link, the http(s) URL of a .torrent file, a local .torrent file, or a bare info-hash: as published in the clipboard monitor's status. */
export type LinkKind = LinkSummary['kind'];

export interface FindOptions {
  /** Also take bare 40-hex and 32-character base32 info-hashes (clipboard.accept_bare_hashes). */
  acceptBareHashes?: boolean;
}

export interface ValidTorrentLink {
  valid: true;
  kind: LinkKind;
  /** The link as it appears in the text. */
  raw: string;
  /** What qBittorrent is given: the magnet link, or the normalized URL of the .torrent file. */
  url: string;
  /** Identifies the torrent: its info-hash (lowercase 40-hex v1, else the v2 multihash `1220…`), or the normalized URL of a .torrent file, whose hash is unknown until downloaded. */
  key: string;
  /** Other keys of the same torrent: the v2 hash of a hybrid magnet that also carries a v1 hash. */
  aliases: string[];
  /** The magnet's info-hash (same as `key`); null for a .torrent URL. */
  infoHash: string | null;
  /** The magnet's display name (`dn`), the name inside a .torrent file, or a .torrent URL's file name. */
  name: string | null;
  /** Tracker URLs: a magnet's `tr`, a .torrent file's announce list; empty when unknown. */
  trackers: string[];
  /** Total bytes: a magnet's `xl`, a .torrent file's files; null when unknown. */
  size: number | null;
  /** A .torrent file's content, uploaded to qBittorrent as a file. */
  file?: { fileName: string; bytes: Uint8Array<ArrayBuffer> };
}

export interface InvalidTorrentLink {
  valid: false;
  kind: LinkKind;
  raw: string;
  reason: string;
  name: string | null;
}

export type TorrentLink = ValidTorrentLink | InvalidTorrentLink;

/** A local .torrent file named in the text, not read yet. */
export interface TorrentFileRef {
  kind: 'torrent_file';
  unread: true;
  raw: string;
  path: string;
}

export type FoundLink = TorrentLink | TorrentFileRef;

// A magnet runs to the next separator, or to the next `magnet:?` when two were pasted without one.
const MAGNET = /magnet:\?[^\s"'<>`]*?(?=magnet:\?|[\s"'<>`]|$)/gi;
// The scheme is bounded so that a long run of letters cannot make the search quadratic.
const URL_WITH_SCHEME = /[a-z][a-z0-9+.-]{0,31}:\/\/[^\s"'<>`]+/gi;
const TRAILING_PUNCTUATION = new Set('.,;:!?)]}。，、；：！？）】」』》');
const OPENER_OF: Readonly<Record<string, string>> = { ')': '(', ']': '[', '}': '{' };
const NON_ASCII = /[^\x00-\x7f]/;
const MAGNET_PREFIX_LENGTH = 'magnet:?'.length;
// An absolute path alone on its line (what a file manager's copy gives as text): POSIX, or a Windows drive.
const TORRENT_PATH_LINE = /^[ \t]*((?:\/|[A-Za-z]:\\)[^\n\r]*?\.torrent)[ \t]*\r?$/gim;
const BARE_HASH = /(?<![0-9A-Za-z])(?:[0-9a-fA-F]{40}|[A-Z2-7]{32})(?![0-9A-Za-z])/g;
// Thunder (Xunlei) wraps a URL as base64("AA" + url + "ZZ").
const THUNDER_WRAPPING = /^AA([\s\S]*)ZZ$/;

/** Every link in `text`, in order of appearance. */
export function findTorrentLinks(text: string, options: FindOptions = {}): FoundLink[] {
  const links: FoundLink[] = [];
  let gapStart = 0;
  for (const match of text.matchAll(MAGNET)) {
    links.push(...findOutsideMagnets(text.slice(gapStart, match.index), options));
    const raw = cutGluedText(trimTrailingPunctuation(match[0], MAGNET_PREFIX_LENGTH));
    links.push(parseMagnet(raw));
    gapStart = match.index + raw.length;
  }
  links.push(...findOutsideMagnets(text.slice(gapStart), options));
  return links;
}

/**
 * Links outside magnet links (a magnet's own `tr=`/`xs=` URLs are not candidates): URLs of .torrent
 * files (http, file, thunder), paths of .torrent files, bare hashes outside both; in order.
 */
function findOutsideMagnets(text: string, options: FindOptions): FoundLink[] {
  const found: Array<{ at: number; link: FoundLink }> = [];
  const taken: Array<[number, number]> = [];
  for (const match of text.matchAll(URL_WITH_SCHEME)) {
    const raw = trimTrailingPunctuation(match[0]);
    taken.push([match.index, match.index + raw.length]);
    const link = parseSchemeUrl(raw);
    if (link) found.push({ at: match.index, link });
  }
  for (const match of text.matchAll(TORRENT_PATH_LINE)) {
    const path = match[1] ?? '';
    const at = match.index + match[0].indexOf(path);
    if (overlaps(taken, at, at + path.length)) continue;
    taken.push([at, at + path.length]);
    found.push({ at, link: { kind: 'torrent_file', unread: true, raw: path, path } });
  }
  if (options.acceptBareHashes) {
    for (const match of text.matchAll(BARE_HASH)) {
      if (overlaps(taken, match.index, match.index + match[0].length)) continue;
      found.push({ at: match.index, link: parseBareHash(match[0]) });
    }
  }
  return found.sort((a, b) => a.at - b.at).map(({ link }) => link);
}

function overlaps(spans: ReadonlyArray<[number, number]>, start: number, end: number): boolean {
  return spans.some(([from, to]) => start < to && end > from);
}

/** A URL with a scheme: a .torrent URL, a file:// .torrent, a thunder:// link; undefined when it is none of these. */
function parseSchemeUrl(raw: string): FoundLink | undefined {
  const scheme = raw.slice(0, raw.indexOf(':')).toLowerCase();
  if (scheme === 'thunder') return parseThunder(raw);
  if (scheme === 'file') return parseFileUri(raw);
  return parseTorrentUrl(raw);
}

/** The link a thunder:// URL wraps, when it is a magnet or a .torrent URL (named as the thunder link). */
function parseThunder(raw: string): TorrentLink | undefined {
  const wrapped = THUNDER_WRAPPING.exec(decodeBase64Text(raw.slice('thunder://'.length).replace(/\/$/, '')))?.[1]?.trim();
  if (wrapped === undefined) return undefined;
  const link = /^magnet:\?/i.test(wrapped) ? parseMagnet(wrapped) : parseTorrentUrl(wrapped);
  return link && { ...link, raw };
}

/** base64 to text: UTF-8, else GBK (what Chinese sites wrap their links in), else undefined. */
function decodeBase64Text(base64: string): string {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return '';
  const bytes = Buffer.from(base64, 'base64');
  for (const encoding of ['utf-8', 'gbk']) {
    try {
      return new TextDecoder(encoding, { fatal: true }).decode(bytes);
    } catch {
      // Not this encoding; try the next.
    }
  }
  return '';
}

/** A file:// URI of a .torrent file (percent-encoded, as file managers copy them). */
function parseFileUri(raw: string): FoundLink | undefined {
  if (!/\.torrent$/i.test(raw)) return undefined;
  try {
    return { kind: 'torrent_file', unread: true, raw, path: fileURLToPath(raw) };
  } catch (error) {
    return { valid: false, kind: 'torrent_file', raw, reason: `not a local file: ${(error as Error).message}`, name: null };
  }
}

/** A bare info-hash, added as the magnet link of that hash. */
function parseBareHash(raw: string): TorrentLink {
  const result = normalizeBtih(raw);
  if (!result.ok) return { valid: false, kind: 'info_hash', raw, reason: result.reason, name: null };
  const url = `magnet:?xt=urn:btih:${result.hash}`;
  return {
    valid: true,
    kind: 'info_hash',
    raw,
    url,
    key: result.hash,
    aliases: [],
    infoHash: result.hash,
    name: null,
    trackers: [],
    size: null,
  };
}

function parseMagnet(raw: string): TorrentLink {
  // Links copied from HTML source keep their `&` escaped.
  const url = decodeHtmlAmpersands(raw);
  const topics: string[] = [];
  const trackers: string[] = [];
  let name: string | null = null;
  let size: number | null = null;
  for (const [key, value] of new URLSearchParams(url.slice(url.indexOf('?') + 1))) {
    const param = key.toLowerCase().replace(/\.\d+$/, '');
    if (param === 'xt') topics.push(value.trim());
    else if (param === 'dn' && name === null && value.trim() !== '') name = value.trim();
    else if (param === 'tr' && value.trim() !== '') trackers.push(value.trim());
    else if (param === 'xl' && /^\d{1,16}$/.test(value.trim())) size = Number(value.trim());
  }
  const invalid = (reason: string): InvalidTorrentLink => ({ valid: false, kind: 'magnet', raw, reason, name });
  if (topics.length === 0) return invalid('missing xt: a magnet link needs xt=urn:btih:<info-hash>');

  let v1: string | undefined;
  let v2: string | undefined;
  for (const topic of topics) {
    const [, namespace, value = ''] = /^urn:(btih|btmh):(.*)$/i.exec(topic) ?? [];
    if (namespace === undefined) continue;
    const isV1 = namespace.toLowerCase() === 'btih';
    const result = isV1 ? normalizeBtih(value) : normalizeBtmh(value);
    if (!result.ok) return invalid(result.reason);
    if (isV1) v1 ??= result.hash;
    else v2 ??= result.hash;
  }
  const key = v1 ?? v2;
  if (key === undefined) {
    const namespace = topics[0]?.split(':').slice(0, 2).join(':');
    return invalid(`no BitTorrent info-hash: xt is ${namespace} (expected urn:btih or urn:btmh)`);
  }
  const aliases = v1 !== undefined && v2 !== undefined ? [v2] : [];
  return { valid: true, kind: 'magnet', raw, url, key, aliases, infoHash: key, name, trackers, size };
}

/** An http(s) .torrent URL (another scheme is invalid), or undefined when `raw` is a URL of something else. */
function parseTorrentUrl(raw: string): TorrentLink | undefined {
  let url: URL;
  try {
    url = new URL(decodeHtmlAmpersands(raw));
  } catch {
    if (!/\.torrent(?:[?#]|$)/i.test(raw)) return undefined;
    return { valid: false, kind: 'torrent_url', raw, reason: 'malformed URL', name: null };
  }
  if (!url.pathname.toLowerCase().endsWith('.torrent')) return undefined;
  const name = torrentFileName(url.pathname);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      valid: false,
      kind: 'torrent_url',
      raw,
      reason: `not an http(s) URL: qBittorrent cannot download ${url.protocol} links`,
      name,
    };
  }
  // The fragment never reaches the server, so it does not make another torrent.
  url.hash = '';
  return {
    valid: true,
    kind: 'torrent_url',
    raw,
    url: url.href,
    key: url.href,
    aliases: [],
    infoHash: null,
    name,
    trackers: [],
    size: null,
  };
}

/** Drops sentence punctuation after a link (never its first `keep` characters), keeping a closing bracket that the link itself opened. */
function trimTrailingPunctuation(candidate: string, keep = 0): string {
  let link = candidate;
  for (let last = link.at(-1); link.length > keep && last !== undefined && TRAILING_PUNCTUATION.has(last); last = link.at(-1)) {
    const opener = OPENER_OF[last];
    if (opener !== undefined && count(link, opener) >= count(link, last)) break;
    link = link.slice(0, -1);
  }
  return link;
}

/**
 * Non-ASCII text glued to a magnet ends it ("…btih:<hash>复制到迅雷"), except inside its display
 * name, which some sites leave unencoded.
 */
function cutGluedText(link: string): string {
  const foreign = link.search(NON_ASCII);
  if (foreign < 0) return link;
  const paramStart = Math.max(link.lastIndexOf('&', foreign), link.lastIndexOf('?', foreign));
  return /^[?&](?:amp;)?dn=/i.test(link.slice(paramStart)) ? link : link.slice(0, foreign);
}

function torrentFileName(pathname: string): string | null {
  const file = pathname.slice(pathname.lastIndexOf('/') + 1).replace(/\.torrent$/i, '');
  if (file === '') return null;
  try {
    return decodeURIComponent(file);
  } catch {
    return file;
  }
}

function decodeHtmlAmpersands(link: string): string {
  return link.replace(/&amp;/gi, '&');
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}
