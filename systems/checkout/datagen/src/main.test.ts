import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseOptions, UsageError } from './options.js';
import { readDataset } from './read.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'datagen-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as `npm run datagen` does: node --import tsx src/main.ts. */
function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', ...args],
      { cwd: packageDir },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

const badInputs: [string[], RegExp][] = [
  [['--pedidos', 'abc'], /--pedidos must be a non-negative integer, got "abc"/],
  [['--clientes=-1'], /--clientes must be a non-negative integer, got "-1"/],
  [['--clientes', '-1'], /clientes/],
  [['--produtos', '2.5'], /--produtos must be a non-negative integer/],
  [['--pedidos', '1e3'], /--pedidos must be a non-negative integer/],
  [['--pedidos', ''], /--pedidos must be a non-negative integer/],
  [['--produtos', '0'], /--pedidos 100 needs at least one of --produtos \(got 0\)/],
  [['--clientes', '0'], /--pedidos 100 needs at least one of --clientes/],
  [['--pedidos', '1000001'], /--pedidos must be at most 1,000,000/],
  [['--seed', '4294967296'], /--seed must be at most 4,294,967,295/],
  [['--seed', 'x'], /--seed must be a non-negative integer/],
  [['--now', 'yesterday'], /--now must be an ISO date/],
  [['--now', '2025-02-30'], /--now is not a real date/],
  [['--now', '2025-11-01T12:00:00'], /--now must be an ISO date/], // no zone: ambiguous
  [['--out', ''], /--out needs a file path/],
  [['--out'], /argument missing|--out/],
  [['--bogus'], /Unknown option '--bogus'/],
  [['positional'], /Unexpected argument 'positional'/],
];

for (const [args, message] of badInputs) {
  test(`when run with ${JSON.stringify(args)}, then it exits 2 with a clear message and writes nothing`, async () => {
    const out = join(dir, `bad-${badInputs.findIndex(([a]) => a === args)}.db`);
    const run = await cli(...args, ...(args.includes('--out') ? [] : ['--out', out]));
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, message);
    assert.match(run.stderr, /^datagen: /);
    assert.ok(!existsSync(out));
  });
}

test('when run with a seed and sizes, then it writes the file, prints counts and proportions, and a rerun gives the same bytes', async () => {
  const out = join(dir, 'sub', 'ecommerce.db');
  const args = ['--seed', '7', '--clientes', '5', '--produtos', '3', '--pedidos', '40', '--out', out];
  const first = await cli(...args);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /seed 7, now 2025-11-01T00:00:00\.000Z/);
  assert.match(first.stdout, /clientes\s+5\n/);
  assert.match(first.stdout, /pedidos\s+40\n/);
  assert.match(first.stdout, /pagamentos\s+\d+\s+[\d.]+ % of pedidos/);
  const dataset = readDataset(out);
  assert.equal(dataset.clientes.length, 5);
  assert.equal(dataset.produtos.length, 3);
  assert.equal(dataset.pedidos.length, 40);
  const bytes = readFileSync(out);
  const second = await cli(...args);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, /existing database .* removed/);
  assert.ok(readFileSync(out).equals(bytes));
});

test('when --now is given, then the dates end at it', async () => {
  const out = join(dir, 'now.db');
  const run = await cli('--now', '2024-03-10', '--pedidos', '30', '--out', out);
  assert.equal(run.status, 0, run.stderr);
  const dates = readDataset(out).pedidos.map((p) => p.data_criacao);
  assert.ok(
    dates.every((d) => d <= '2024-03-10T00:00:00.000Z' && d >= '2023-12-11T00:00:00.000Z'),
    String(dates),
  );
});

test('--help prints the options and exits 0', async () => {
  const run = await cli('--help');
  assert.equal(run.status, 0);
  assert.match(run.stdout, /--seed N/);
  assert.match(run.stdout, /--out PATH/);
});

test('the defaults are the seed\u2019s: seed 42, ./data/ecommerce.db, 50/30/100, a fixed reference time', () => {
  const options = parseOptions([]);
  assert.deepEqual(options, {
    help: false,
    seed: 42,
    out: './data/ecommerce.db',
    sizes: { clientes: 50, produtos: 30, pedidos: 100 },
    now: Date.parse('2025-11-01T00:00:00.000Z'),
  });
  assert.equal(parseOptions(['--now', 'now']).now, 'wall-clock');
  assert.equal(parseOptions(['--now', '2025-01-01T03:00:00-03:00']).now, Date.parse('2025-01-01T06:00:00Z'));
  assert.deepEqual(parseOptions(['--produtos', '0', '--pedidos', '0']).sizes, {
    clientes: 50,
    produtos: 0,
    pedidos: 0,
  });
  assert.throws(() => parseOptions(['--now', '1970-01-01']), UsageError);
});
