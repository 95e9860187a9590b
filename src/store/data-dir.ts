/**
 * The data directory: created at start with a clear error when it cannot be, watched while running
 * so that its deletion (or the database file's) is noticed rather than written into a file nobody
 * will find again, and start-up failures explained with the path and the way out.
 */
import { accessSync, constants, mkdirSync, type Stats, statSync } from 'node:fs';
import { describeFsError, errorCode, processUser } from '../config/file-errors.js';

/** A data directory problem at start: one line naming the path and what to do; `serve` prints it and exits. */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
}

/** Creates the data directory (and its parents) if needed; throws DataDirError saying why it cannot be. */
export function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
    if (!statSync(dataDir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (error) {
    if (errorCode(error) === 'EEXIST' || errorCode(error) === 'ENOTDIR') {
      throw new DataDirError(`data directory ${dataDir} is not a directory: remove what is there, or choose another --data-dir`);
    }
    throw new DataDirError(`cannot create the data directory ${dataDir}: ${describeFsError(error)}: ${wayOut(error, dataDir)}`);
  }
}

/**
 * A failure met while opening what the data directory holds, as a DataDirError naming the file and
 * the way out; anything that is not about the files is returned as it was.
 */
export function explainStartError(error: unknown, dataDir: string, database: string): unknown {
  if (error instanceof DataDirError) return error;
  const code = errorCode(error) ?? '';
  const sqlite = (error as Error | undefined)?.message ?? '';
  if (code === 'SQLITE_NOTADB') {
    return new DataDirError(
      `${database} is not a qbt-monitor database (SQLite: ${sqlite}): move it aside to start a new one, or choose another --data-dir`,
    );
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new DataDirError(
      `${database} is damaged (SQLite: ${sqlite}): restore it from a backup, or move it aside with its -wal and -shm files ` +
        `to start a new one (sqlite3's .recover may save its contents)`,
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN'))
    return new DataDirError(`cannot open the database ${database}: ${cantOpenReason(dataDir, database)}`);
  if (code.startsWith('SQLITE_READONLY')) {
    return new DataDirError(
      `cannot write the database ${database} (SQLite: ${sqlite}): give ${processUser()} write access to it and to ${dataDir} ` +
        `(chown or chmod), or choose another --data-dir`,
    );
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return new DataDirError(
      `no space left for ${database} in ${dataDir}: free some space on its file system, or choose another --data-dir`,
    );
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new DataDirError(
      `cannot read or write ${database} (SQLite: ${sqlite}): check the disk under ${dataDir}, or choose another --data-dir`,
    );
  }
  const path = (error as { path?: unknown } | null)?.path;
  if (typeof path === 'string' && code.startsWith('E')) {
    return new DataDirError(`${path}: ${describeFsError(error)}: ${wayOut(error, dataDir)}`);
  }
  return error;
}

/** What SQLite's "unable to open database file" means here. */
function cantOpenReason(dataDir: string, database: string): string {
  const stats = statOrUndefined(database);
  if (stats?.isDirectory()) return 'it is a directory, not a file: remove it, or choose another --data-dir';
  try {
    accessSync(dataDir, constants.W_OK | constants.X_OK);
  } catch {
    return `${dataDir} is not writable by ${processUser()}: give this user write access to it (chown or chmod), or choose another --data-dir`;
  }
  return `check that ${dataDir} and the files in it are readable and writable by ${processUser()}, or choose another --data-dir`;
}

function wayOut(error: unknown, dataDir: string): string {
  switch (errorCode(error)) {
    case 'EISDIR':
      return 'remove that directory, or choose another --data-dir';
    case 'EACCES':
    case 'EPERM':
      return `give ${processUser()} write access to ${dataDir} (chown or chmod), or choose another --data-dir`;
    case 'EROFS':
      return 'mount it read-write, or choose another --data-dir';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'free some space on its file system, or choose another --data-dir';
    default:
      return `check ${dataDir}, or choose another --data-dir`;
  }
}

/** Which file this is on which device: a file deleted and created again is another file. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

export function identify(path: string): FileIdentity | undefined {
  const stats = statOrUndefined(path);
  return stats && { dev: stats.dev, ino: stats.ino };
}

/**
 * Why the data directory the service opened is no longer there, or undefined when it is: the
 * directory or the database file was deleted (SQLite goes on writing into the deleted file, and all
 * of it is lost at the next start) or replaced by another.
 */
export function dataDirLoss(dataDir: string, database: string, opened: FileIdentity | undefined): string | undefined {
  const directory = presence(dataDir);
  if (directory === 'gone' || (directory !== 'unknown' && !directory.isDirectory())) return `the data directory ${dataDir} was deleted`;
  const file = presence(database);
  if (opened && (file === 'gone' || (file !== 'unknown' && (file.dev !== opened.dev || file.ino !== opened.ino)))) {
    return `the database ${database} was deleted or replaced`;
  }
  return undefined;
}

/** A path's stats; `gone` when nothing is there; `unknown` when it cannot be looked at (permissions: the writes report that). */
function presence(path: string): Stats | 'gone' | 'unknown' {
  try {
    return statSync(path);
  } catch (error) {
    const code = errorCode(error);
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'gone' : 'unknown';
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
