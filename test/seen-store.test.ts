/** One suite for the SeenStore interface (the torrents the clipboard monitor has added), run against every implementation: in memory and SQLite. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openDatabase } from '../src/store/database.js';
import { createInMemorySeenStore, type SeenStore } from '../src/store/seen-store.js';
import { createSqliteSeenStore } from '../src/store/sqlite-seen-store.js';
import { type Implementation, sharedSetUp } from './support/suite.js';

interface OpenStore {
  store: SeenStore;
  /** The same store after a restart of the process, for an implementation meant to outlive one. */
  reopen?(): SeenStore;
  close(): void;
}

const implementations: Array<Implementation<OpenStore>> = [
  {
    name: 'memory',
    open: () => ({ store: createInMemorySeenStore(), close() {} }),
  },
  {
    name: 'sqlite',
    open() {
      const dir = mkdtempSync(join(tmpdir(), 'qbtm-seen-'));
      let db = openDatabase(dir);
      return {
        store: createSqliteSeenStore(db),
        reopen() {
          db.close();
          db = openDatabase(dir);
          return createSqliteSeenStore(db);
        },
        close() {
          db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

const SINTEL = '08ada5a7a6183aae1e09d831df6748d566095a10';
const V2 = `1220${'ab'.repeat(32)}`;
const TORRENT_URL = 'https://tracker.example/download.php?id=42&passkey=0123456789abcdef';

function seenStoreSuite({ name, skip, setUp, open }: Implementation<OpenStore>): void {
  describe(`seen store: ${name}`, { skip }, () => {
    sharedSetUp({ setUp });

    test('a key is unseen until added, then seen; other keys stay unseen', () => {
      const { store, close } = open();
      try {
        assert.equal(store.has(SINTEL), false);
        store.add(SINTEL, 'clipboard');
        assert.equal(store.has(SINTEL), true);
        assert.equal(store.has(V2), false);
      } finally {
        close();
      }
    });

    test('adding a key again changes nothing; info-hashes and .torrent URLs are keys alike', () => {
      const { store, close } = open();
      try {
        for (const key of [SINTEL, V2, TORRENT_URL, SINTEL, TORRENT_URL]) store.add(key, 'api');
        assert.deepEqual(
          [SINTEL, V2, TORRENT_URL].map((key) => store.has(key)),
          [true, true, true],
        );
      } finally {
        close();
      }
    });

    test('keys are compared exactly: normalising an info-hash is the caller’s work', () => {
      const { store, close } = open();
      try {
        store.add(SINTEL, 'clipboard');
        assert.equal(store.has(SINTEL.toUpperCase()), false);
        assert.equal(store.has(`${SINTEL} `), false);
      } finally {
        close();
      }
    });

    test('remembers who added each torrent: the clipboard or the REST API; the first add wins', () => {
      const { store, close } = open();
      try {
        assert.equal(store.sourceOf(SINTEL), undefined);
        store.add(SINTEL, 'clipboard');
        store.add(V2, 'api');
        store.add(SINTEL, 'api');
        assert.deepEqual([store.sourceOf(SINTEL), store.sourceOf(V2), store.sourceOf(TORRENT_URL)], ['clipboard', 'api', undefined]);
      } finally {
        close();
      }
    });

    test('keeps every key of many', () => {
      const { store, close } = open();
      try {
        const keys = Array.from({ length: 2000 }, (_, i) => i.toString(16).padStart(40, '0'));
        for (const key of keys) store.add(key, 'clipboard');
        assert.ok(keys.every((key) => store.has(key)));
        assert.equal(store.has('f'.repeat(40)), false);
      } finally {
        close();
      }
    });

    test('what was added outlives a restart, where the store is meant to', (t) => {
      const { store, reopen, close } = open();
      try {
        if (!reopen) {
          t.skip('kept in memory: forgotten on restart by design');
          return;
        }
        store.add(SINTEL, 'api');
        const reopened = reopen();
        assert.equal(reopened.has(SINTEL), true);
        assert.equal(reopened.sourceOf(SINTEL), 'api', 'who added it, too');
        assert.equal(reopened.has(V2), false);
      } finally {
        close();
      }
    });
  });
}

for (const implementation of implementations) seenStoreSuite(implementation);
