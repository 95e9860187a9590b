/** Normalizes the info-hashes a magnet link carries: BTIH (v1, hex or base32) and BTMH (v2, SHA-256 multihash). */

export type HashResult = { ok: true; hash: string } | { ok: false; reason: string };

const HEX_40 = /^[0-9a-f]{40}$/i;
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Multihash prefix of a SHA-256 digest: function code 0x12, length 0x20 (32 bytes). */
const SHA256_MULTIHASH = /^1220[0-9a-f]{64}$/i;

/** A v1 info-hash (`xt=urn:btih:`) in 40 hex digits or 32 base32 characters, as lowercase 40-hex. */
export function normalizeBtih(value: string): HashResult {
  if (value.length === 40) {
    if (HEX_40.test(value)) return { ok: true, hash: value.toLowerCase() };
    return { ok: false, reason: `bad hex info-hash: "${firstNotIn(value, /[0-9a-f]/i)}" is not a hex digit` };
  }
  if (value.length === 32) return base32ToHex(value);
  return { ok: false, reason: `bad info-hash length: ${value.length} characters (expected 40 hex or 32 base32)` };
}

/** A v2 info-hash (`xt=urn:btmh:`): the SHA-256 multihash `1220` + 64 hex digits, lowercase. */
export function normalizeBtmh(value: string): HashResult {
  if (SHA256_MULTIHASH.test(value)) return { ok: true, hash: value.toLowerCase() };
  return { ok: false, reason: 'bad v2 info-hash: expected 1220 followed by 64 hex digits (SHA-256 multihash)' };
}

/** RFC 4648 base32 (case-insensitive, no padding) of a 20-byte hash, as hex. */
function base32ToHex(value: string): HashResult {
  let bits = 0;
  let buffer = 0;
  let hex = '';
  for (const char of value.toUpperCase()) {
    const digit = BASE32_ALPHABET.indexOf(char);
    if (digit < 0) return { ok: false, reason: `bad base32 info-hash: "${char}" is not a base32 character` };
    // At most 12 bits are pending (7 left over + 5 new), so older bits can be dropped.
    buffer = ((buffer << 5) | digit) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      hex += ((buffer >> bits) & 0xff).toString(16).padStart(2, '0');
    }
  }
  return { ok: true, hash: hex };
}

function firstNotIn(value: string, allowed: RegExp): string {
  return [...value].find((char) => !allowed.test(char)) ?? '';
}
