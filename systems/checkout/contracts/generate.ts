/**
 * Lints the checkout .proto contracts and regenerates their TypeScript (ts-proto, grpc-js).
 *
 *   npm run proto:gen        (node --import tsx systems/checkout/contracts/generate.ts)
 *
 * Runs the repository's own `buf` and ts-proto plugin from node_modules/.bin: no network,
 * no remote plugins. The tests import `lintProtos` and `generateProtos` to check that the
 * committed `src/gen` is what the .proto files produce.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Repository root: buf.gen.yaml's plugin and output paths are relative to it. */
export const repoRoot = path.resolve(import.meta.dirname, '../../..');
/** The buf workspace (buf.yaml) holding contracts/proto/checkout/v1/*.proto. */
export const protoDir = path.join(repoRoot, 'contracts/proto');
/** Where buf.gen.yaml writes the TypeScript, relative to the output base. */
export const genOutRelative = 'systems/checkout/contracts/src/gen';

const bufBin = path.join(repoRoot, 'node_modules/.bin/buf');
const template = path.join(protoDir, 'buf.gen.yaml');

export interface BufResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the local buf binary from the repository root and collects its output. */
export function runBuf(args: readonly string[]): Promise<BufResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bufBin, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** `buf lint` over a buf workspace (the committed contracts unless told otherwise). */
export function lintProtos(dir: string = protoDir): Promise<BufResult> {
  return runBuf(['lint', dir]);
}

/**
 * `buf generate`. With `outputBase` the files land in `<outputBase>/systems/checkout/contracts/src/gen`
 * (buf's `-o` prefixes the template's `out`), which is how the staleness test generates
 * into a temporary directory.
 */
export function generateProtos(outputBase?: string): Promise<BufResult> {
  const args = ['generate', protoDir, '--template', template];
  if (outputBase !== undefined) args.push('-o', outputBase);
  return runBuf(args);
}

async function main(): Promise<number> {
  for (const [name, step] of [
    ['buf lint', () => lintProtos()],
    ['buf generate', () => generateProtos()],
  ] as const) {
    const result = await step();
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    if (result.code !== 0) {
      process.stderr.write(`${name} failed (exit code ${result.code})\n`);
      return result.code;
    }
  }
  process.stdout.write(`generated ${genOutRelative} from ${path.relative(repoRoot, protoDir)}\n`);
  return 0;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  process.exitCode = await main();
}
