/** Opens the SQLite file under the data directory and brings its schema up to date. */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export const DATABASE_FILE = 'qbt-monitor.db';

export function databasePath(dataDir: string, fileName = DATABASE_FILE): string {
  return join(dataDir, fileName);
}

export function openDatabase(dataDir: string, fileName = DATABASE_FILE): Db {
  const db = new Database(databasePath(dataDir, fileName));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  db.transaction(() => {
    for (const [index, sql] of MIGRATIONS.entries()) {
      if (index < current) continue;
      db.exec(sql);
    }
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}

/** A write that changes nothing (the schema version, set to itself): throws when the database cannot take writes now. */
export function probeWrite(db: Db): void {
  db.pragma(`user_version = ${MIGRATIONS.length}`);
}
