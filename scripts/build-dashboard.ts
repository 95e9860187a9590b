/** Bundles the dashboard (src/dashboard) with esbuild into dist/dashboard: index.html and content-hashed assets under assets/. */
import { build, type Metafile } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCE_DIR = join(ROOT, 'src/dashboard');
export const DASHBOARD_OUT_DIR = join(ROOT, 'dist/dashboard');

/** Each entry point and the placeholder of index.html that receives its hashed file name. */
const ENTRIES = [
  { placeholder: '%APP_SCRIPT%', source: 'main.ts', name: 'app' },
  { placeholder: '%STYLESHEET%', source: 'styles.css', name: 'styles' },
  { placeholder: '%FAVICON%', source: 'favicon.svg', name: 'favicon' },
] as const;

/** Builds into `outDir` (replaced whole); returns the files written, relative to it. */
export async function buildDashboard(outDir = DASHBOARD_OUT_DIR): Promise<string[]> {
  rmSync(outDir, { recursive: true, force: true });
  const assetsDir = join(outDir, 'assets');
  mkdirSync(assetsDir, { recursive: true });
  const { metafile } = await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES.map(({ source, name }) => ({ in: join(SOURCE_DIR, source), out: name })),
    outdir: assetsDir,
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome109', 'firefox115', 'safari16'],
    loader: { '.svg': 'copy' },
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  let html = readFileSync(join(SOURCE_DIR, 'index.html'), 'utf8');
  for (const { placeholder, source } of ENTRIES) {
    html = html.replaceAll(placeholder, `assets/${outputOf(metafile, join(SOURCE_DIR, source))}`);
  }
  writeFileSync(join(outDir, 'index.html'), html);
  return ['index.html', ...Object.keys(metafile.outputs).map((output) => relative(outDir, join(ROOT, output)))];
}

/** The hashed file name esbuild wrote for an entry point. */
function outputOf(metafile: Metafile, entryPath: string): string {
  const entry = relative(ROOT, entryPath);
  const output = Object.entries(metafile.outputs).find(([, meta]) => meta.entryPoint === entry)?.[0];
  if (!output) throw new Error(`esbuild wrote nothing for ${entry}`);
  return basename(output);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = await buildDashboard();
  console.log(`dashboard: ${files.length} files in ${relative(process.cwd(), DASHBOARD_OUT_DIR) || '.'}`);
}
