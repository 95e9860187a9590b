/** Opens the SQLite file under the data directory and brings its schema up to date. */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export function openDatabase(dataDir: string, fileName = 'qbt-monitor.db'): Db {
  const db = new Database(join(dataDir, fileName));
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
