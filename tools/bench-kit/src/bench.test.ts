import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { benchMain, runAndSave, type Bench } from './bench.js';

interface ExampleOptions {
  outDir: string;
  n: number;
}

function exampleBench(brokenChart = false): Bench<ExampleOptions, { n: number }> {
  return {
    script: 'bench:example',
    help: 'npm run bench:example -- [--n N]',
    parseOptions: (argv) => {
      if (argv.length > 0 && argv[0] !== '--n') throw new Error(`unknown option ${argv[0] ?? ''}`);
      return { outDir: '', n: Number(argv[1] ?? 1) };
    },
    run: (options, log) => {
      log(`measuring ${options.n}`);
      return Promise.resolve({ n: options.n });
    },
    report: {
      name: 'example',
      json: (results) => ({ ...results, doubled: results.n * 2 }),
      charts: () =>
        brokenChart ? [{ name: 'broken', file: 'example-broken', spec: { mark: 'nonsense' } as never }] : [],
      markdown: (results, charts) => `n = ${results.n}; ${charts.length} chart(s)\n`,
      text: (results) => `n: ${results.n}`,
    },
  };
}

describe('running a benchmark', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'bench-kit-'));
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  test('a run saves the JSON and Markdown of its report and answers the stdout summary', async () => {
    const out = join(root, 'run');
    const lines: string[] = [];
    const saved = await runAndSave(exampleBench(), { outDir: out, n: 3 }, (line) => lines.push(line));
    assert.deepEqual(saved.results, { n: 3 });
    assert.deepEqual(saved.files, [join(out, 'example.json'), join(out, 'example.md')]);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'example.json'), 'utf8')), { n: 3, doubled: 6 });
    assert.equal(readFileSync(join(out, 'example.md'), 'utf8'), 'n = 3; 0 chart(s)\n');
    assert.equal(saved.text, 'n: 3');
    assert.deepEqual(lines, ['measuring 3']);
  });

  test('a chart that fails to render is logged and the report is written without it', async () => {
    const out = join(root, 'broken-chart');
    const lines: string[] = [];
    const saved = await runAndSave(exampleBench(true), { outDir: out, n: 1 }, (line) => lines.push(line));
    assert.ok(existsSync(join(out, 'example.md')));
    assert.equal(saved.files.length, 2);
    assert.ok(
      lines.some((line) => line.startsWith('chart not rendered: ')),
      lines.join('\n'),
    );
  });

  test('the command line prints the help, or says what failed on stderr and exits with 1', async () => {
    const stdout = mock.method(process.stdout, 'write', () => true);
    const stderr = mock.method(process.stderr, 'write', () => true);
    const exitCode = process.exitCode;
    try {
      await benchMain(exampleBench(), ['--help']);
      assert.deepEqual(
        stdout.mock.calls.map((call) => call.arguments[0]),
        ['npm run bench:example -- [--n N]\n'],
      );
      await benchMain(exampleBench(), ['--frobnicate']);
      assert.equal(process.exitCode, 1);
      assert.match(
        String(stderr.mock.calls[0]?.arguments[0]),
        // The message alone, no stack trace: a bad command line is the user's to fix.
        /^\[bench:example\] unknown option --frobnicate \(see --help\)\n$/,
      );
    } finally {
      stdout.mock.restore();
      stderr.mock.restore();
      process.exitCode = exitCode;
    }
  });
});
