/**
 * `npm run build:web`: bundles the web client with esbuild into systems/sctec/web-client/dist/
 * (app.js, app.css, their source maps, index.html). index.html names each asset with its content
 * hash (`/app/app.js?v=<hash>`), which the scheduler answers with a one-year immutable cache;
 * the scheduler serves the folder (WEB_CLIENT_DIR) under /app/ and at / for browsers.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export const WEB_CLIENT_SOURCE_DIR = here('./');
export const DEFAULT_OUT_DIR = here('./dist/');

export interface BuildResult {
  outDir: string;
  /** File name → first 16 hex digits of its SHA-256 (the `v` in index.html). */
  files: Record<string, string>;
}

const hashOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/** Builds the client into `outDir` (replaced as a whole, so no stale file survives a rebuild). */
export async function buildWebClient(
  options: { outDir?: string; minify?: boolean } = {},
): Promise<BuildResult> {
  const outDir = (options.outDir ?? DEFAULT_OUT_DIR).replace(/[/\\]+$/, '');
  const result = await build({
    absWorkingDir: WEB_CLIENT_SOURCE_DIR,
    entryPoints: [
      { in: 'src/main.ts', out: 'app' },
      { in: 'styles.css', out: 'app' },
    ],
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    minify: options.minify ?? true,
    sourcemap: 'linked',
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
  });
  const files: Record<string, string> = {};
  const staging = `${outDir}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const output of result.outputFiles) {
    const name = basename(output.path);
    files[name] = hashOf(output.contents);
    await writeFile(join(staging, name), output.contents);
  }
  const template = await readFile(join(WEB_CLIENT_SOURCE_DIR, 'index.html'), 'utf8');
  const html = template.replace(
    /(["'])\/app\/(app\.(?:js|css))\1/g,
    (_match: string, quote: string, name: string) => {
      const hash = files[name];
      if (hash === undefined)
        throw new Error(`index.html names /app/${name}, which the build did not produce`);
      return `${quote}/app/${name}?v=${hash}${quote}`;
    },
  );
  if (html === template) throw new Error('index.html does not reference /app/app.js or /app/app.css');
  files['index.html'] = hashOf(Buffer.from(html));
  await writeFile(join(staging, 'index.html'), html);
  // Swap the folder in one step so a running scheduler never serves half a build.
  const old = `${outDir}.old-${process.pid}`;
  await rm(old, { recursive: true, force: true });
  await rename(outDir, old).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  });
  await rename(staging, outDir);
  await rm(old, { recursive: true, force: true });
  return { outDir, files };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  const { outDir, files } = await buildWebClient();
  process.stdout.write(
    `web-client: ${Object.keys(files).sort().join(', ')} → ${outDir} (${Math.round(performance.now() - started)} ms)\n`,
  );
}
