/**
 * The light SDK package (packages/client): packed as npm packs it, installed from the tarball into an
 * empty project, it brings only its two dependencies, type-checks in a TypeScript consumer, and its
 * README's example connects to a real server.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { READ_KEY, startServer, type TestServer } from './support/server.js';
import { withTimeout } from './support/ws-client.js';

const ROOT = resolve(import.meta.dirname, '..');
const README = readFileSync(join(ROOT, 'packages/client/README.md'), 'utf8');
/** What the server brings and the SDK must not. */
const SERVER_ONLY = ['better-sqlite3', 'fastify', 'ioredis', 'pino', 'prom-client', 'systeminformation'];

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });
}

describe('the qbt-monitor-client package', () => {
  const project = mkdtempSync(join(tmpdir(), 'qbtm-sdk-'));
  let files: string[] = [];
  let server: TestServer;

  before(async () => {
    const [packed] = JSON.parse(npm(['pack', '-w', 'qbt-monitor-client', '--json', '--pack-destination', project], ROOT)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    files = packed!.files.map((file) => file.path);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // From the npm cache where it can (the repository's install filled it), else the registry.
    npm(['install', '--prefer-offline', join(project, packed!.filename)], project);
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
    rmSync(project, { recursive: true, force: true });
  });

  test('the tarball holds the built client and protocol, nothing of the server, no tests', () => {
    assert.ok(files.includes('dist/client/node.js') && files.includes('dist/client/index.d.ts'));
    assert.ok(files.includes('dist/protocol/index.js'));
    const unexpected = files.filter((path) => !/^(dist\/(client|protocol)\/[\w-]+\.(js|d\.ts)|README\.md|package\.json)$/.test(path));
    assert.deepEqual(unexpected, []);
    assert.ok(files.length < 80, `${files.length} files`);
  });

  test('installed from the tarball it brings ws and TypeBox, nothing else', () => {
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    const installed = Object.keys(lock.packages)
      .filter(Boolean)
      .map((path) => path.replace(/^.*node_modules\//, ''))
      .sort();
    assert.deepEqual(installed, ['@sinclair/typebox', 'qbt-monitor-client', 'ws']);
    for (const name of SERVER_ONLY) assert.ok(!installed.includes(name));
  });

  test('a TypeScript consumer type-checks against its declarations (Node and protocol entries)', () => {
    writeFileSync(
      join(project, 'check.ts'),
      [
        "import { QbtMonitorClient, CloseCode } from 'qbt-monitor-client';",
        "import { EventName, ErrorCode } from 'qbt-monitor-client/protocol';",
        "const client = new QbtMonitorClient({ url: 'ws://127.0.0.1:1/ws', apiKey: 'k' });",
        "client.on('alert', (alert) => alert.level.toUpperCase());",
        'const name: string = EventName.statusQbittorrentClient;',
        'const code: number = CloseCode.SLOW_CONSUMER;',
        "client.on('message', (message) => message.meta?.seq);",
        'export { client, name, code, ErrorCode };',
      ].join('\n'),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
    execFileSync(process.execPath, [tsc, ...args, '--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types'), 'check.ts'], {
      cwd: project,
      encoding: 'utf8',
    });
  });

  test("the README's example runs as written against a real server", async () => {
    const example = /```js\n([\s\S]*?)```/.exec(README)?.[1];
    assert.ok(example);
    writeFileSync(join(project, 'example.mjs'), example.replace('ws://127.0.0.1:8080/ws', server.wsUrl()));
    const child = spawn(process.execPath, ['example.mjs'], {
      cwd: project,
      env: { ...process.env, QBT_MONITOR_TOKEN: READ_KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', done));
    await withTimeout(
      new Promise<void>((printed) => child.stdout.on('data', () => output.includes('not_configured') && printed())),
      15_000,
      `the example printed no status:\n${output}`,
    );
    child.kill('SIGINT');
    assert.equal(await withTimeout(exited, 10_000, 'the example did not stop on SIGINT'), 0, output);
  });
});
