/** Schema migrations, applied in order; `PRAGMA user_version` records how many ran. Never edit one that shipped: add another. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL,
     name TEXT NOT NULL,
     timestamp TEXT NOT NULL,
     recorded_at INTEGER NOT NULL,
     node TEXT,
     data TEXT NOT NULL
   );
   CREATE INDEX events_recorded_at ON events (recorded_at);`,
];
