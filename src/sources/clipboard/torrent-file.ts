/** Reads a local .torrent file named on the clipboard: its info-hashes, name, size and trackers, and its bytes for qBittorrent. */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BDict, type BValue, BencodeError, decodeBencode } from './bencode.js';
import type { TorrentFileRef, TorrentLink } from './find-torrent-links.js';

/** qBittorrent's own default limit on a .torrent file (Advanced: torrent file size limit). */
export const MAX_TORRENT_FILE_BYTES = 100 * 1024 * 1024;
const text = new TextDecoder('utf-8');

/** The file as a link (uploaded as a file), or invalid with a reason that never names the path. */
export async function readTorrentFile(ref: TorrentFileRef): Promise<TorrentLink> {
  const invalid = (reason: string): TorrentLink => ({ valid: false, kind: 'torrent_file', raw: ref.raw, reason, name: null });
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await readBounded(ref.path);
  } catch (error) {
    return invalid(readProblem(error));
  }
  let root: BValue;
  try {
    root = decodeBencode(bytes);
  } catch (error) {
    if (error instanceof BencodeError) return invalid(`not a .torrent file: ${error.message}`);
    throw error;
  }
  const infoSpan = root instanceof BDict ? root.spans.get('info') : undefined;
  const info = root instanceof BDict ? root.get('info') : undefined;
  if (!(info instanceof BDict) || infoSpan === undefined) return invalid('not a .torrent file: no info dictionary');

  const infoBytes = bytes.subarray(...infoSpan);
  const v1 = info.get('pieces') instanceof Uint8Array ? createHash('sha1').update(infoBytes).digest('hex') : undefined;
  const v2 = info.get('meta version') === 2 ? `1220${createHash('sha256').update(infoBytes).digest('hex')}` : undefined;
  const key = v1 ?? v2;
  if (key === undefined) return invalid('not a .torrent file: neither v1 pieces nor a v2 meta version');
  return {
    valid: true,
    kind: 'torrent_file',
    raw: ref.raw,
    url: pathToFileURL(ref.path).href,
    key,
    aliases: v1 !== undefined && v2 !== undefined ? [v2] : [],
    infoHash: key,
    name: stringOf(info.get('name.utf-8')) ?? stringOf(info.get('name')),
    trackers: trackersOf(root as BDict),
    size: sizeOf(info),
    file: { fileName: basename(ref.path), bytes },
  };
}

async function readBounded(path: string): Promise<Uint8Array<ArrayBuffer>> {
  const handle = await open(path, 'r');
  try {
    const { size, isFile } = await handle.stat().then((stat) => ({ size: stat.size, isFile: stat.isFile() }));
    if (!isFile) throw new TorrentFileProblem('not a regular file');
    if (size > MAX_TORRENT_FILE_BYTES) throw new TorrentFileProblem(`larger than ${MAX_TORRENT_FILE_BYTES / 1024 / 1024} MiB`);
    return new Uint8Array(await handle.readFile());
  } finally {
    await handle.close();
  }
}

class TorrentFileProblem extends Error {}

function readProblem(error: unknown): string {
  if (error instanceof TorrentFileProblem) return `the .torrent file is ${error.message}`;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'the .torrent file does not exist (moved or deleted since it was copied?)';
  if (code === 'EACCES' || code === 'EPERM') return 'the .torrent file cannot be read: permission denied';
  if (code === 'EISDIR') return 'the .torrent file is not a regular file';
  return `the .torrent file cannot be read: ${code ?? (error as Error).message}`;
}

function stringOf(value: BValue | undefined): string | null {
  return value instanceof Uint8Array && value.length > 0 ? text.decode(value) : null;
}

/** `announce` and every tier of `announce-list`, once each. */
function trackersOf(root: BDict): string[] {
  const tiers = root.get('announce-list');
  const listed = Array.isArray(tiers) ? tiers.flatMap((tier) => (Array.isArray(tier) ? tier : [])) : [];
  const urls = [root.get('announce'), ...listed].map(stringOf).filter((url): url is string => url !== null);
  return [...new Set(urls)];
}

/** v1: `length`, or the sum of `files`; v2-only: the sum over the `file tree`. Null when the file says neither. */
function sizeOf(info: BDict): number | null {
  const length = info.get('length');
  if (typeof length === 'number') return length;
  const files = info.get('files');
  if (Array.isArray(files)) return files.reduce<number>((sum, file) => sum + lengthOf(file instanceof BDict ? file.get('length') : 0), 0);
  const tree = info.get('file tree');
  return tree instanceof BDict ? treeSize(tree, 0) : null;
}

function treeSize(node: BDict, depth: number): number {
  if (depth > 64) return 0;
  let total = 0;
  for (const [key, child] of node.entries) {
    if (!(child instanceof BDict)) continue;
    total += key === '' ? lengthOf(child.get('length')) : treeSize(child, depth + 1);
  }
  return total;
}

function lengthOf(value: BValue | undefined): number {
  return typeof value === 'number' && value > 0 ? value : 0;
}
