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
  // Metric history. System samples are one row per sample with a column per figure (a row per figure
  // would be six times the rows); custom samples are a row each. Summaries cover every metric, by series.
  `CREATE TABLE system_samples (
     ts INTEGER PRIMARY KEY,
     cpu_percent REAL,
     memory_percent REAL,
     disk_usage_percent REAL,
     bytes_sent REAL,
     bytes_recv REAL,
     process_count REAL
   );
   CREATE TABLE metric_series (
     id INTEGER PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     unit TEXT NOT NULL DEFAULT ''
   );
   CREATE TABLE custom_samples (
     series_id INTEGER NOT NULL,
     ts INTEGER NOT NULL,
     value REAL NOT NULL
   );
   CREATE INDEX custom_samples_series_ts ON custom_samples (series_id, ts);
   CREATE INDEX custom_samples_ts ON custom_samples (ts);
   CREATE TABLE metric_minutes (
     series_id INTEGER NOT NULL,
     minute INTEGER NOT NULL,
     avg REAL NOT NULL,
     min REAL NOT NULL,
     max REAL NOT NULL,
     count INTEGER NOT NULL,
     PRIMARY KEY (series_id, minute)
   ) WITHOUT ROWID;
   CREATE TABLE metric_rollup (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     rolled_until INTEGER NOT NULL
   );`,
  `CREATE TABLE alerts (
     alert_id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     level TEXT NOT NULL,
     status TEXT NOT NULL,
     title TEXT NOT NULL,
     message TEXT NOT NULL,
     value REAL NOT NULL,
     threshold REAL NOT NULL,
     metadata TEXT NOT NULL,
     raised_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     resolved_at TEXT,
     resolution TEXT,
     resolved_by TEXT
   );
   CREATE UNIQUE INDEX alerts_one_active_per_type ON alerts (type) WHERE status = 'active';
   CREATE INDEX alerts_status_updated ON alerts (status, updated_at);`,
  `CREATE TABLE seen_torrents (
     key TEXT PRIMARY KEY,
     seen_at INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  // The event log's epoch. A log new here (this file just created: a first start, or a deleted data
  // directory) numbers on from `base`, the clock in microseconds: above every seq an earlier log could
  // have issued. A log that predates the epoch keeps its numbers (base 0). `cluster_log` is a node's
  // high-water mark of the cluster's log, kept outside Redis so that a Redis rolled back is noticed.
  `CREATE TABLE log_epoch (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     epoch TEXT NOT NULL,
     base INTEGER NOT NULL,
     created_at TEXT NOT NULL
   );
   INSERT INTO log_epoch
     SELECT 1, lower(hex(randomblob(8))),
       CASE WHEN EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'events') THEN 0
            ELSE CAST(unixepoch('subsec') * 1000 AS INTEGER) * 1000 END,
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
   INSERT INTO sqlite_sequence (name, seq) SELECT 'events', base FROM log_epoch WHERE base > 0;
   CREATE TABLE cluster_log (
     key_prefix TEXT PRIMARY KEY,
     epoch TEXT NOT NULL,
     seq INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  // Alert management: an alert's acknowledgement, when it was last notified (its reminders count from
  // then), and silences.
  `ALTER TABLE alerts ADD COLUMN acknowledged_by TEXT;
   ALTER TABLE alerts ADD COLUMN acknowledged_at TEXT;
   ALTER TABLE alerts ADD COLUMN acknowledgement TEXT;
   ALTER TABLE alerts ADD COLUMN notified_at TEXT;
   ALTER TABLE alerts ADD COLUMN reminders INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE silences (
     id TEXT PRIMARY KEY,
     matchers TEXT NOT NULL,
     created_at TEXT NOT NULL,
     ends_at TEXT NOT NULL,
     comment TEXT NOT NULL,
     created_by TEXT NOT NULL
   );
   CREATE INDEX silences_ends_at ON silences (ends_at);`,
  // The clipboard monitor's adds: each torrent with the rule that chose its category, tags, save path.
  `CREATE TABLE clipboard_adds (
     id INTEGER PRIMARY KEY,
     key TEXT NOT NULL UNIQUE,
     kind TEXT NOT NULL,
     info_hash TEXT,
     name TEXT,
     source TEXT NOT NULL,
     at TEXT NOT NULL,
     rule TEXT,
     category TEXT,
     tags TEXT NOT NULL,
     save_path TEXT,
     paused INTEGER NOT NULL
   );`,
  // Torrents: who added each (the clipboard or the REST API), what the lifecycle announced for each, and
  // one alert per torrent (an alert's subject tells apart the active alerts of one type).
  `ALTER TABLE seen_torrents ADD COLUMN source TEXT;
   CREATE TABLE torrent_lifecycle (
     hash TEXT PRIMARY KEY,
     completed INTEGER NOT NULL,
     errored INTEGER NOT NULL,
     stalled INTEGER NOT NULL,
     data TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE torrent_sync_baseline (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     taken_at INTEGER NOT NULL
   );
   ALTER TABLE alerts ADD COLUMN subject TEXT NOT NULL DEFAULT '';
   DROP INDEX alerts_one_active_per_type;
   CREATE UNIQUE INDEX alerts_one_active_per_subject ON alerts (type, subject) WHERE status = 'active';`,
  // Links qBittorrent could not take yet (unreachable, not configured...), kept until it does: the
  // rule's placement, the URL, a .torrent file's bytes (the file may be gone by then), the retries.
  `CREATE TABLE clipboard_pending (
     id INTEGER PRIMARY KEY,
     key TEXT NOT NULL UNIQUE,
     aliases TEXT NOT NULL,
     url TEXT NOT NULL,
     file_name TEXT,
     file BLOB,
     kind TEXT NOT NULL,
     info_hash TEXT,
     name TEXT,
     source TEXT NOT NULL,
     at TEXT NOT NULL,
     rule TEXT,
     category TEXT,
     tags TEXT NOT NULL,
     save_path TEXT,
     paused INTEGER NOT NULL,
     attempts INTEGER NOT NULL,
     next_retry_at TEXT,
     reason TEXT
   );`,
];
