/**
 * The config file on disk: read with every failure named (a directory, unreadable, not JSON), and
 * written so that a crash or a full disk leaves either the old file or the new one, never half of it.
 */
import { closeSync, fchownSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeFsError, errorCode } from './file-errors.js';

/** The file exists but cannot serve as config: the reason is the file's (fix or remove it), not the request's. */
export class ConfigFileError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
    /** The system's error code (`EISDIR`, `EACCES`...); undefined when the content is at fault. */
    readonly code?: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/** The file could not be written; `outOfSpace` tells a full disk or quota from the rest (read-only, permissions). */
export class ConfigWriteError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
    readonly outOfSpace: boolean,
  ) {
    super(`cannot write ${path}: ${problem}`);
  }
}

export class ConfigFile {
  /** The text the service last applied from the file or wrote to it: a watcher seeing it again has nothing to do. */
  knownText: string | undefined;

  constructor(readonly path: string) {}

  /** The file's text, or undefined when there is no file. Throws ConfigFileError when it cannot be read. */
  readText(): string | undefined {
    try {
      return readFileSync(this.path, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw new ConfigFileError(this.path, describeFsError(error), errorCode(error));
    }
  }

  /** The file's JSON value, or undefined when there is no file. Throws ConfigFileError. */
  read(): unknown {
    const text = this.readText();
    return text === undefined ? undefined : this.parse(text);
  }

  parse(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ConfigFileError(this.path, `not valid JSON: ${(error as Error).message}`);
    }
  }

  /**
   * Replaces the file's content: a temporary file beside it, flushed to disk, renamed over it, and the
   * directory flushed so the rename itself survives a power cut. On failure the old file is untouched.
   * `owner`: whose the new file is (root writing a service user's file keeps it readable to the service).
   */
  write(text: string, owner?: { uid: number; gid: number }): void {
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      const fd = openSync(temporary, 'w', 0o600);
      try {
        if (owner) fchownSync(fd, owner.uid, owner.gid);
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, this.path);
    } catch (error) {
      rmSync(temporary, { force: true });
      const code = errorCode(error);
      throw new ConfigWriteError(this.path, describeFsError(error), code === 'ENOSPC' || code === 'EDQUOT');
    }
    this.knownText = text;
    syncDirectory(dirname(this.path));
  }

  /**
   * Writes `text` as `write` does, keeping the old file aside (a hard link: no space needed) until
   * the change is known to stand: `keep()` drops the old one, `undo()` puts it back (or removes the
   * new file when there was none before).
   */
  replace(text: string): { keep(): void; undo(): void } {
    const previous = this.readText();
    const aside = `${this.path}.${process.pid}.previous`;
    let linked = false;
    if (previous !== undefined) {
      try {
        rmSync(aside, { force: true });
        linkSync(this.path, aside);
        linked = true;
      } catch {
        // No hard links here: undo writes the old text back instead.
      }
    }
    this.write(text);
    return {
      keep: () => {
        if (linked) rmSync(aside, { force: true });
      },
      undo: () => {
        if (linked) renameSync(aside, this.path);
        else if (previous !== undefined) this.write(previous);
        else rmSync(this.path, { force: true });
        this.knownText = previous;
      },
    };
  }
}

/** Best effort: some file systems refuse to open or fsync a directory, and the rename is done anyway. */
function syncDirectory(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch {
    // The file is in place; only its survival of a power cut right now is less certain.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
