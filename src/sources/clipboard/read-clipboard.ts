/** Reads the system clipboard's text through the platform's own tool (wl-paste, xclip/xsel, pbpaste, PowerShell). */
import { type ExecFileException, execFile } from 'node:child_process';

/** Resolves to the clipboard's text ('' when it holds none); rejects with ClipboardUnavailableError when it cannot be read. */
export type ReadClipboard = () => Promise<string>;

/** No clipboard can be read here: no display, no tool installed, the tool failed. `reason` says which, plainly. */
export class ClipboardUnavailableError extends Error {
  override readonly name = 'ClipboardUnavailableError';

  constructor(readonly reason: string) {
    super(`clipboard unavailable: ${reason}`);
  }
}

export interface ClipboardReaderOptions {
  platform?: NodeJS.Platform;
  /** Read at every call, so a display that appears later is picked up. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Text beyond this many bytes is not read. */
  maxBytes?: number;
}

interface ClipboardTool {
  file: string;
  args: string[];
  /** What the tool prints when the clipboard holds no text (it then exits non-zero). */
  empty?: RegExp;
  /** Variables the tool needs on top of the caller's environment. */
  env?: (env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
}

const WL_PASTE: ClipboardTool = {
  file: 'wl-paste',
  args: ['--no-newline', '--type', 'text'],
  empty: /nothing is copied|no selection|no suitable type/i,
};
const XCLIP: ClipboardTool = { file: 'xclip', args: ['-selection', 'clipboard', '-o'], empty: /target \S+ not available/i };
const XSEL: ClipboardTool = { file: 'xsel', args: ['--clipboard', '--output'] };
// pbpaste turns non-ASCII into '?' unless the locale says UTF-8, which a launchd service's does not.
const PBPASTE: ClipboardTool = { file: 'pbpaste', args: [], env: (env) => (env.LANG ? {} : { LANG: 'en_US.UTF-8' }) };
// PowerShell writes in the console's code page unless told otherwise.
const POWERSHELL: ClipboardTool = {
  file: 'powershell',
  args: ['-NoProfile', '-NonInteractive', '-Command', '[Console]::OutputEncoding = [Text.Encoding]::UTF8; Get-Clipboard -Raw'],
};

/** The tools to try in order, given the session's environment; throws when this session has no clipboard. */
type ToolChoice = (env: NodeJS.ProcessEnv) => ClipboardTool[];

function toolsFor(platform: NodeJS.Platform): ToolChoice {
  if (platform === 'darwin') return () => [PBPASTE];
  if (platform === 'win32') return () => [POWERSHELL];
  return (env) => {
    // A Wayland session usually runs XWayland too, so X11 tools are a fallback there.
    const tools = [...(env.WAYLAND_DISPLAY ? [WL_PASTE] : []), ...(env.DISPLAY ? [XCLIP, XSEL] : [])];
    if (tools.length === 0) throw new ClipboardUnavailableError('no display: DISPLAY is not set (headless server)');
    return tools;
  };
}

export const DEFAULT_READ_TIMEOUT_MS = 3000;
export const DEFAULT_MAX_CLIPBOARD_BYTES = 1024 * 1024;

/** A reader for this platform; the tools are chosen once, the display is looked up at every read. */
export function createClipboardReader(options: ClipboardReaderOptions = {}): ReadClipboard {
  const chooseTools = toolsFor(options.platform ?? process.platform);
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_CLIPBOARD_BYTES;

  return async () => {
    const tools = chooseTools(env);
    for (const tool of tools) {
      const text = await readWith(tool, { ...env, ...tool.env?.(env) }, timeoutMs, maxBytes);
      if (text !== undefined) return text;
    }
    throw new ClipboardUnavailableError(notInstalled(tools.map((tool) => tool.file)));
  };
}

/** The reader of this process's platform and environment. */
export const readClipboard: ReadClipboard = createClipboardReader();

/** The clipboard's text, or undefined when the tool is not installed. */
async function readWith(tool: ClipboardTool, env: NodeJS.ProcessEnv, timeoutMs: number, maxBytes: number): Promise<string | undefined> {
  const { error, stdout, stderr } = await run(tool, env, timeoutMs, maxBytes);
  if (!error) return stdout;
  if (error.code === 'ENOENT') return undefined;
  // A huge copy is not an error: keep what fits, up to the last whole word so no link is cut in half.
  if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return stdout.slice(0, stdout.search(/\s\S*$/) + 1);
  if (tool.empty?.test(stderr)) return '';
  throw new ClipboardUnavailableError(failureReason(tool, error, stderr, env, timeoutMs));
}

function failureReason(tool: ClipboardTool, error: ExecFileException, stderr: string, env: NodeJS.ProcessEnv, timeoutMs: number): string {
  if (error.killed) return `${tool.file} timed out after ${timeoutMs} ms`;
  // The X11 and Wayland tools only run when their display variable is set.
  if (/can't open display/i.test(stderr)) return `cannot open display ${env.DISPLAY} (is the X server running?)`;
  if (/wayland/i.test(stderr)) return `cannot connect to Wayland display ${env.WAYLAND_DISPLAY}`;
  const detail = stderr.trim().split('\n')[0] || error.message;
  return `${tool.file} failed: ${detail}`;
}

function notInstalled(files: string[]): string {
  const [first, ...others] = files;
  return others.length === 0 ? `${first} not installed` : `${first} not installed (nor ${others.join(', ')})`;
}

function run(tool: ClipboardTool, env: NodeJS.ProcessEnv, timeoutMs: number, maxBytes: number) {
  return new Promise<{ error: ExecFileException | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      tool.file,
      tool.args,
      { env, timeout: timeoutMs, maxBuffer: maxBytes, encoding: 'utf8', windowsHide: true },
      (error, stdout, stderr) => resolve({ error, stdout, stderr }),
    );
  });
}
