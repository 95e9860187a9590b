/** File system and SQLite errors in words an operator can act on: what failed, and its code. */

/** The `code` of a Node or SQLite error (`ENOSPC`, `SQLITE_FULL`, ...). */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `uid 65534`, so that a permission problem says whose permission is missing. */
export function processUser(): string {
  return typeof process.getuid === 'function' ? `uid ${process.getuid()}` : 'this user';
}

const FS_WORDS: Record<string, string> = {
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such file or directory',
  EIO: 'input/output error',
};

/** `no space left on the device (ENOSPC)`; SQLite's own message with its code; else the message. */
export function describeFsError(error: unknown): string {
  const code = errorCode(error);
  if (code === 'EACCES') return `permission denied for ${processUser()} (EACCES)`;
  if (code === 'EPERM') return `operation not permitted for ${processUser()} (EPERM)`;
  const words = code === undefined ? undefined : FS_WORDS[code];
  if (words !== undefined) return `${words} (${code})`;
  const message = error instanceof Error ? error.message : String(error);
  return code?.startsWith('SQLITE_') ? `${message} (${code})` : message;
}

/** Whether the error says the disk or its permissions refused a write (not a bug of ours). */
export function isWriteRefusal(error: unknown): boolean {
  const code = errorCode(error) ?? '';
  if (['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'ENOENT'].includes(code)) return true;
  return /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB|PERM)/.test(code);
}
