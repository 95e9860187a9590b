/**
 * Clipboard change notifications, where the desktop gives them, so that the clipboard is read when it
 * changes instead of polled: X11 through the XFIXES extension (a python3-xlib helper, no compiled
 * code of ours), Wayland through `wl-paste --watch`. macOS and Windows offer none to a command-line
 * tool: there the monitor polls.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ClipboardDetection } from '../../protocol/index.js';

export type ChangeMethod = Exclude<ClipboardDetection, 'polling'>;

export interface ChangeWatcher {
  readonly method: ChangeMethod;
  /** Ends the helper process (by its handle). */
  stop(): void;
}

export interface ChangeHandlers {
  /** The clipboard has a new owner: read it. */
  onChange(): void;
  /** The helper ended on its own (the display went away, it crashed): poll, and try again later. */
  onEnd(reason: string): void;
}

/** Why no watcher runs. `permanent`: trying again cannot help until something is installed (or the service restarts). */
export class WatchUnavailableError extends Error {
  override readonly name = 'WatchUnavailableError';
  constructor(
    readonly reason: string,
    readonly permanent: boolean,
  ) {
    super(reason);
  }
}

/** Starts watching; rejects with WatchUnavailableError. */
export type StartChangeWatcher = (handlers: ChangeHandlers) => Promise<ChangeWatcher>;

const READY_TIMEOUT_MS = 5000;

/**
 * Selects XFixesSetSelectionOwnerNotify on CLIPBOARD and prints a line per new owner (every copy takes
 * ownership, even from the same application). Exits when its stdin closes, so it never outlives the
 * service, even after a kill -9. Exit codes: 3 no python3-xlib, 4 no display, 5 no XFIXES.
 */
const XFIXES_HELPER = `
import os, select, sys
try:
    from Xlib import display
    from Xlib.ext import xfixes
except ImportError:
    sys.exit(3)
try:
    d = display.Display()
except Exception as error:
    sys.stderr.write(str(error))
    sys.exit(4)
if not d.has_extension("XFIXES"):
    sys.exit(5)
d.xfixes_query_version()
d.xfixes_select_selection_input(d.screen().root, d.intern_atom("CLIPBOARD"), xfixes.XFixesSetSelectionOwnerNotifyMask)
d.sync()
sys.stdout.write("ready\\n")
sys.stdout.flush()
while True:
    readable = select.select([d.fileno(), 0], [], [])[0]
    if 0 in readable and not os.read(0, 64):
        sys.exit(0)
    if d.fileno() in readable:
        # The only events this connection selected are new owners of CLIPBOARD.
        d.next_event()
        for _ in range(d.pending_events()):
            d.next_event()
        sys.stdout.write("change\\n")
        sys.stdout.flush()
`;

/** Debian's python3-xlib is for the system Python, which may not be the first python3 on PATH. */
const PYTHONS = ['/usr/bin/python3', 'python3'];

/** The watcher this session's desktop allows, or undefined where the platform has none (the monitor polls). */
export function changeWatcherFor(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): StartChangeWatcher | undefined {
  if (platform !== 'linux' && platform !== 'freebsd' && platform !== 'openbsd') return undefined;
  return async (handlers) => {
    const failures: WatchUnavailableError[] = [];
    if (env.WAYLAND_DISPLAY) {
      try {
        return await startWlPasteWatcher(env, handlers);
      } catch (error) {
        failures.push(asUnavailable(error));
      }
    }
    if (env.DISPLAY) {
      try {
        return await startXfixesWatcher(env, handlers);
      } catch (error) {
        failures.push(asUnavailable(error));
      }
    }
    if (failures.length === 0) throw new WatchUnavailableError('no display: DISPLAY is not set', false);
    throw new WatchUnavailableError(
      failures.map((failure) => failure.reason).join('; '),
      failures.every((failure) => failure.permanent),
    );
  };
}

async function startXfixesWatcher(env: NodeJS.ProcessEnv, handlers: ChangeHandlers): Promise<ChangeWatcher> {
  let missing: WatchUnavailableError | undefined;
  for (const python of PYTHONS) {
    try {
      return await startHelper('xfixes', python, ['-c', XFIXES_HELPER], env, handlers, xfixesExitReason);
    } catch (error) {
      const unavailable = asUnavailable(error);
      // Another Python may have the module; any other failure is the display's, the same for every Python.
      if (!unavailable.permanent || !/python3/.test(unavailable.reason)) throw unavailable;
      missing = unavailable;
    }
  }
  throw missing ?? new WatchUnavailableError('python3 not found', true);
}

function xfixesExitReason(code: number | null, stderr: string): WatchUnavailableError {
  if (code === 3) return new WatchUnavailableError('python3-xlib not installed (apt-get install python3-xlib)', true);
  if (code === 4) return new WatchUnavailableError(`cannot open the X display: ${stderr.trim().split('\n')[0] ?? ''}`, false);
  if (code === 5) return new WatchUnavailableError('the X server has no XFIXES extension', true);
  return new WatchUnavailableError(`the XFIXES helper exited (${code}): ${stderr.trim().split('\n').at(-1) ?? ''}`, false);
}

/** wl-paste runs the command at every change (and once at start): it prints an empty line, the content goes nowhere. */
function startWlPasteWatcher(env: NodeJS.ProcessEnv, handlers: ChangeHandlers): Promise<ChangeWatcher> {
  const args = ['--type', 'text', '--watch', 'sh', '-c', 'cat >/dev/null; echo'];
  return startHelper('wl-paste', 'wl-paste', args, env, handlers, (code, stderr) => {
    const detail = stderr.trim().split('\n')[0] ?? '';
    return new WatchUnavailableError(`wl-paste --watch exited (${code}): ${detail}`, /not supported|requires|protocol/i.test(detail));
  });
}

/**
 * Runs a helper that prints a first line once it watches, then a line per change. Resolves at the first
 * line; rejects with the helper's exit reason, or on the timeout.
 */
function startHelper(
  method: ChangeMethod,
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  handlers: ChangeHandlers,
  exitReason: (code: number | null, stderr: string) => WatchUnavailableError,
): Promise<ChangeWatcher> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let ready = false;
    let stopping = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.stdin?.on('error', () => {}); // a helper that died is reported by its exit
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new WatchUnavailableError(`${method} watcher gave no sign of life within ${READY_TIMEOUT_MS} ms`, false));
    }, READY_TIMEOUT_MS);
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timeout);
      const reason = error.code === 'ENOENT' ? `${file} not installed` : `${file} failed to start: ${error.message}`;
      reject(new WatchUnavailableError(reason, error.code === 'ENOENT'));
    });
    child.once('exit', (code) => {
      clearTimeout(timeout);
      if (!ready) reject(exitReason(code, stderr));
      else if (!stopping) handlers.onEnd(exitReason(code, stderr).reason);
    });
    createInterface({ input: child.stdout! }).on('line', () => {
      if (ready) {
        handlers.onChange();
        return;
      }
      ready = true;
      clearTimeout(timeout);
      resolve({
        method,
        stop() {
          stopping = true;
          child.stdin?.end();
          child.kill('SIGTERM');
        },
      });
    });
  });
}

function asUnavailable(error: unknown): WatchUnavailableError {
  return error instanceof WatchUnavailableError ? error : new WatchUnavailableError(String(error), false);
}
