/**
 * The benchmark's processes as the orchestrator sees them: a server under test (server-process.ts)
 * and a subscriber process (subscribers.ts), each forked, each spoken to over IPC with the messages typed here.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

export type ServerKind = 'bare' | 'qbt-monitor' | 'node' | 'publisher';

export interface PublishCommand {
  kind: 'publish';
  burstsPerSecond: number;
  /** Events per burst. */
  burst: number;
  seconds: number;
  /** Events per subscriber in flight at most (published, not yet received). */
  window: number;
  /** Subscribers over all subscriber processes: received / subscribers is how far they are. */
  subscribers: number;
}

export type ServerCommand =
  | { kind: 'usage'; collect: boolean }
  | { kind: 'received'; received: number }
  | PublishCommand
  | { kind: 'stop' };

/** CPU time (user + system, µs) and write system calls the process has used so far; memory now, in bytes. */
export interface Usage {
  cpuMicros: number;
  writes: number;
  heap: number;
  external: number;
  rss: number;
}

export type ServerReport =
  | { kind: 'listening'; url?: string; headers?: Record<string, string>; subscribe?: object }
  | ({ kind: 'usage' } & Usage)
  | { kind: 'published'; published: number; skipped: number }
  | { kind: 'failed'; error: string };

const TSX = ['--import', 'tsx'];

function nextMessage<T extends { kind: string }>(child: ChildProcess, kind: T['kind']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { kind: string; error?: string }) => {
      if (message.kind !== kind && message.kind !== 'failed') return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (message.kind === 'failed') reject(new Error(message.error));
      else resolve(message as T);
    };
    const onExit = (code: number | null) => {
      child.off('message', onMessage);
      reject(new Error(`${kind}: the process exited (${code}) first`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export interface ServerProcess {
  readonly pid: number;
  /** Where subscribers connect (not for a publisher). */
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly subscribe: object | undefined;
  /** CPU time so far and memory now; `collect` runs a full garbage collection first. */
  usage(collect?: boolean): Promise<Usage>;
  publish(command: Omit<PublishCommand, 'kind'>): Promise<{ published: number; skipped: number }>;
  /** Tells the publishing loop how many messages the subscribers have (for its window). */
  received(count: number): void;
  stop(): Promise<void>;
}

export async function startServerProcess(kind: ServerKind, args: string[] = []): Promise<ServerProcess> {
  const child = fork(join(import.meta.dirname, 'server-process.ts'), [kind, ...args], {
    execArgv: [...TSX, '--expose-gc'],
    stdio: 'inherit',
  });
  const listening = await nextMessage<Extract<ServerReport, { kind: 'listening' }>>(child, 'listening');
  const send = (command: ServerCommand) => {
    if (child.connected) child.send(command);
  };
  return {
    pid: child.pid!,
    url: listening.url ?? '',
    headers: listening.headers ?? {},
    subscribe: listening.subscribe,
    async usage(collect = false) {
      const reply = nextMessage<Extract<ServerReport, { kind: 'usage' }>>(child, 'usage');
      send({ kind: 'usage', collect });
      const { kind: _, ...usage } = await reply;
      return usage;
    },
    async publish(command) {
      const reply = nextMessage<Extract<ServerReport, { kind: 'published' }>>(child, 'published');
      send({ kind: 'publish', ...command });
      const { published, skipped } = await reply;
      return { published, skipped };
    },
    received: (received) => send({ kind: 'received', received }),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      send({ kind: 'stop' });
      await exited;
    },
  };
}

/** How many messages were received, and the latencies (ms) of a sample of them, taken evenly. */
export interface Received {
  received: number;
  latencies: number[];
}

/** A subscriber process with its N connections open, counting what they receive. */
export interface SubscriberProcess {
  readonly received: number;
  /** Called at each progress report (every 5 ms) with the count so far. */
  onProgress(listener: (received: number) => void): void;
  /** Resolves at the next progress report. */
  progressed(): Promise<void>;
  start(): void;
  /** Stops counting; resolves with the count and the sampled latencies. */
  finish(): Promise<Received>;
  /** Opens, greets and closes connections `concurrency` at a time for `seconds`; resolves with how many completed. */
  churn(seconds: number, concurrency: number): Promise<number>;
  kill(): void;
}

export type SubscriberCommand =
  | { kind: 'connect'; url: string; count: number; headers: Record<string, string>; subscribe?: object }
  | { kind: 'start' }
  | { kind: 'finish' }
  | { kind: 'churn'; url: string; headers: Record<string, string>; seconds: number; concurrency: number };

export type SubscriberReport =
  | { kind: 'ready' }
  | { kind: 'progress'; received: number }
  | ({ kind: 'result' } & Received)
  | { kind: 'churned'; completed: number }
  | { kind: 'failed'; error: string };

/** Forks a subscriber process; with `count` > 0 it opens that many connections (subscribed if asked) before resolving. */
export async function forkSubscribers(options: {
  url: string;
  count: number;
  headers: Record<string, string>;
  subscribe?: object | undefined;
}): Promise<SubscriberProcess> {
  const child = fork(join(import.meta.dirname, 'subscribers.ts'), [], { execArgv: TSX, stdio: 'inherit' });
  let received = 0;
  const listeners: Array<(received: number) => void> = [];
  let reported = () => {};
  let progressed = new Promise<void>((resolve) => (reported = resolve));
  child.on('message', (m: SubscriberReport) => {
    if (m.kind !== 'progress') return;
    received = m.received;
    for (const listener of listeners) listener(received);
    reported();
    progressed = new Promise<void>((resolve) => (reported = resolve));
  });
  const send = (command: SubscriberCommand) => child.send(command);
  if (options.count > 0) {
    const { subscribe, ...connect } = options;
    send({ kind: 'connect', ...connect, ...(subscribe ? { subscribe } : {}) });
    try {
      await nextMessage(child, 'ready');
    } catch (error) {
      child.kill();
      throw error;
    }
  }
  return {
    get received() {
      return received;
    },
    onProgress: (listener) => listeners.push(listener),
    progressed: () => progressed,
    start: () => send({ kind: 'start' }),
    async finish() {
      const result = nextMessage<Extract<SubscriberReport, { kind: 'result' }>>(child, 'result');
      send({ kind: 'finish' });
      const { kind: _, ...received } = await result;
      return received;
    },
    async churn(seconds, concurrency) {
      const result = nextMessage<Extract<SubscriberReport, { kind: 'churned' }>>(child, 'churned');
      send({ kind: 'churn', url: options.url, headers: options.headers, seconds, concurrency });
      return (await result).completed;
    },
    kill: () => child.kill(),
  };
}
