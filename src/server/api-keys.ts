/**
 * API keys: loaded from the config (plain or SHA-256), or generated on first start into the data
 * directory (only the hash is stored; the key is printed once). Verified in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiKeyConfig } from '../config/schema.js';

export type Role = 'read' | 'admin';

export interface Identity {
  name: string;
  role: Role;
}

interface StoredKey {
  /** One object per key, shared by every connection it authenticates. */
  identity: Identity;
  sha256: Buffer;
}

export const GENERATED_KEYS_FILE = 'api-keys.json';

export class KeyRing {
  readonly #keys: StoredKey[];

  constructor(keys: readonly ApiKeyConfig[]) {
    this.#keys = keys.map((key) => ({
      identity: Object.freeze({ name: key.name, role: key.role }),
      sha256: key.key !== undefined ? sha256(key.key) : Buffer.from(key.key_sha256 ?? '', 'hex'),
    }));
  }

  get size(): number {
    return this.#keys.length;
  }

  /** The key's identity, or undefined. Compares against every key so timing does not tell which matched. */
  verify(token: string): Identity | undefined {
    const presented = sha256(token);
    let found: Identity | undefined;
    for (const key of this.#keys) {
      if (timingSafeEqual(presented, key.sha256) && found === undefined) found = key.identity;
    }
    return found;
  }
}

/**
 * The configured keys, or else the ones generated earlier into the data directory, or else a new
 * admin key: stored hashed, and handed to `announce` this one time.
 */
export function resolveApiKeys(
  configured: readonly ApiKeyConfig[],
  dataDir: string,
  announce: (key: string, file: string) => void,
): ApiKeyConfig[] {
  if (configured.length > 0) return [...configured];
  const file = join(dataDir, GENERATED_KEYS_FILE);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ApiKeyConfig[];
  const key = newApiKey();
  const stored: ApiKeyConfig[] = [{ name: 'admin', key_sha256: keyHash(key), role: 'admin' }];
  saveGeneratedKeys(dataDir, stored);
  announce(key, file);
  return stored;
}

/** A new random key: 192 bits, URL-safe, with a prefix that says what it is. */
export function newApiKey(): string {
  return `qbtm_${randomBytes(24).toString('base64url')}`;
}

/** The key's SHA-256 in hex, as `key_sha256` holds it. */
export function keyHash(key: string): string {
  return sha256(key).toString('hex');
}

/** Writes generated keys (their hashes) into the data directory: at first start, and again into one that was deleted. */
export function saveGeneratedKeys(dataDir: string, keys: readonly ApiKeyConfig[]): void {
  writeFileSync(join(dataDir, GENERATED_KEYS_FILE), `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
