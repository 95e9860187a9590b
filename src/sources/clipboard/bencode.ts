/** A bencode decoder (BEP 3) for .torrent files: strict, bounded in depth, and keeping where each dictionary value lies so the info dictionary can be hashed as written. */

export type BValue = number | Uint8Array | BValue[] | BDict;

export class BDict {
  readonly entries = new Map<string, BValue>();
  /** [start, end) of each value in the decoded bytes. */
  readonly spans = new Map<string, [number, number]>();

  get(key: string): BValue | undefined {
    return this.entries.get(key);
  }
}

export class BencodeError extends Error {
  override readonly name = 'BencodeError';
}

const MAX_DEPTH = 64;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const keyDecoder = new TextDecoder('utf-8');

/** The value `bytes` holds, which must be exactly one bencoded value. */
export function decodeBencode(bytes: Uint8Array): BValue {
  let at = 0;

  function fail(what: string): never {
    throw new BencodeError(`${what} at byte ${at}`);
  }

  function readValue(depth: number): BValue {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH}`);
    const byte = bytes[at];
    if (byte === 0x69) return readInteger(); // i
    if (byte === 0x6c) return readList(depth); // l
    if (byte === 0x64) return readDict(depth); // d
    if (byte !== undefined && byte >= DIGIT_0 && byte <= DIGIT_9) return readString();
    return fail(byte === undefined ? 'unexpected end' : 'unexpected byte');
  }

  function readInteger(): number {
    const end = bytes.indexOf(0x65, at); // e
    if (end < 0) fail('unterminated integer');
    const text = String.fromCharCode(...bytes.subarray(at + 1, end));
    if (!/^(?:0|-?[1-9]\d{0,15})$/.test(text)) fail('bad integer');
    at = end + 1;
    return Number(text);
  }

  function readString(): Uint8Array {
    const colon = bytes.indexOf(0x3a, at); // :
    if (colon < 0 || colon - at > 10) fail('bad string length');
    const text = String.fromCharCode(...bytes.subarray(at, colon));
    if (!/^(?:0|[1-9]\d*)$/.test(text)) fail('bad string length');
    const start = colon + 1;
    const end = start + Number(text);
    if (end > bytes.length) fail('string past the end');
    at = end;
    return bytes.subarray(start, end);
  }

  function readList(depth: number): BValue[] {
    at += 1;
    const list: BValue[] = [];
    while (bytes[at] !== 0x65) list.push(readValue(depth + 1));
    at += 1;
    return list;
  }

  function readDict(depth: number): BDict {
    at += 1;
    const dict = new BDict();
    while (bytes[at] !== 0x65) {
      if (bytes[at] === undefined) fail('unterminated dictionary');
      const key = keyDecoder.decode(readString());
      const start = at;
      dict.entries.set(key, readValue(depth + 1));
      dict.spans.set(key, [start, at]);
    }
    at += 1;
    return dict;
  }

  const value = readValue(0);
  if (at !== bytes.length) fail('data after the value');
  return value;
}
