/** Alerts in SQLite: each alert's latest state, so active ones survive a restart and resolved ones can be listed. */
import type { AlertQuery, AlertRecord, AlertStore } from './alert-store.js';
import type { Db } from './database.js';

/** Columns that may be NULL, each an optional field of the record. */
const OPTIONAL = [
  'resolved_at',
  'resolution',
  'resolved_by',
  'acknowledged_by',
  'acknowledged_at',
  'acknowledgement',
  'notified_at',
] as const;

type Row = Omit<AlertRecord, 'metadata' | (typeof OPTIONAL)[number]> & { metadata: string } & Record<
    (typeof OPTIONAL)[number],
    string | null
  >;

export function createSqliteAlertStore(db: Db): AlertStore {
  const save = db.prepare(
    `INSERT INTO alerts (alert_id, type, subject, level, status, title, message, value, threshold, metadata, raised_at, updated_at)
     VALUES (@alert_id, @type, @subject, @level, 'active', @title, @message, @value, @threshold, @metadata, @raised_at, @updated_at)
     ON CONFLICT (alert_id) DO UPDATE SET level = excluded.level, title = excluded.title, message = excluded.message,
       value = excluded.value, threshold = excluded.threshold, metadata = excluded.metadata, updated_at = excluded.updated_at`,
  );
  const resolve = db.prepare(
    `UPDATE alerts SET status = 'resolved', resolved_at = @resolved_at, resolution = @resolution, resolved_by = @resolved_by
     WHERE alert_id = @alert_id`,
  );
  const reopen = db.prepare<[string]>(
    "UPDATE alerts SET status = 'active', resolved_at = NULL, resolution = NULL, resolved_by = NULL WHERE alert_id = ?",
  );
  const active = db.prepare<[], Row>("SELECT * FROM alerts WHERE status = 'active' ORDER BY raised_at");
  const acknowledge = db.prepare(
    `UPDATE alerts SET acknowledged_by = @acknowledged_by, acknowledged_at = @acknowledged_at, acknowledgement = @acknowledgement
     WHERE alert_id = @alert_id`,
  );
  const notified = db.prepare('UPDATE alerts SET notified_at = ?, reminders = ? WHERE alert_id = ?');
  const prune = db.prepare<[string]>("DELETE FROM alerts WHERE status = 'resolved' AND resolved_at < ?");

  return {
    saveActive(record) {
      const { alert_id, type, subject, level, title, message, value, threshold, metadata, raised_at, updated_at } = record;
      save.run({
        alert_id,
        type,
        subject,
        level,
        title,
        message,
        value,
        threshold,
        metadata: JSON.stringify(metadata),
        raised_at,
        updated_at,
      });
    },
    markResolved(alertId, resolution) {
      resolve.run({ alert_id: alertId, ...resolution });
    },
    reopen(alertId) {
      reopen.run(alertId);
    },
    active: () => active.all().map(toRecord),
    list: (query) => list(db, query),
    acknowledge(alertId, ack) {
      acknowledge.run({ alert_id: alertId, ...ack });
    },
    markNotified(alertId, at, reminders) {
      notified.run(at, reminders, alertId);
    },
    pruneResolved: (beforeIso) => prune.run(beforeIso).changes,
  };
}

/** The query as SQL: only the conditions it gives, every value bound. */
function list(db: Db, { status, type, level, since, before, limit }: AlertQuery): AlertRecord[] {
  const where: string[] = [];
  const values: unknown[] = [];
  const condition = (sql: string, ...bound: unknown[]) => {
    where.push(sql);
    values.push(...bound);
  };
  if (status !== undefined) condition('status = ?', status);
  if (type !== undefined) condition('type = ?', type);
  if (level !== undefined) condition('level = ?', level);
  if (since !== undefined) condition('COALESCE(resolved_at, updated_at) >= ?', since);
  if (before !== undefined) condition('(updated_at, alert_id) < (?, ?)', before.updated_at, before.alert_id);
  const sql = `SELECT * FROM alerts${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY updated_at DESC, alert_id DESC LIMIT ?`;
  return db
    .prepare<unknown[], Row>(sql)
    .all(...values, limit)
    .map(toRecord);
}

function toRecord(row: Row): AlertRecord {
  const { metadata, ...fields } = row;
  const record = { ...fields, metadata: JSON.parse(metadata) as AlertRecord['metadata'] } as Record<string, unknown>;
  for (const key of OPTIONAL) if (record[key] === null) delete record[key];
  return record as unknown as AlertRecord;
}
