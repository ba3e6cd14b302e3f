import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createFileTokenStore, createMemoryTokenStore } from './token-store.js';

const root = mkdtempSync(join(tmpdir(), 'token-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let fileSeq = 0;
const freshPath = () => join(root, `case-${++fileSeq}`, 'fencing-tokens');

function take(store: { next(): number }, count: number): number[] {
  return Array.from({ length: count }, () => store.next());
}

function assertStrictlyIncreasing(tokens: readonly number[]): void {
  for (let i = 1; i < tokens.length; i++) {
    assert.ok(
      (tokens[i] ?? 0) > (tokens[i - 1] ?? 0),
      `token at ${i} (${tokens[i]}) not above ${tokens[i - 1]}`,
    );
  }
}

describe('file token store', () => {
  test('when started on a fresh data dir, then tokens start at 1 and the first block is already durable', () => {
    const path = freshPath();
    const store = createFileTokenStore(path, { blockSize: 10 });
    assert.equal(readFileSync(path, 'utf8'), '10\n');
    assert.deepEqual(take(store, 3), [1, 2, 3]);
  });

  test('when tokens run past a block, then the next block is reserved on disk before it is used', () => {
    const path = freshPath();
    const store = createFileTokenStore(path, { blockSize: 4 });
    const tokens = take(store, 4);
    assert.equal(readFileSync(path, 'utf8'), '4\n');
    tokens.push(store.next());
    assert.equal(readFileSync(path, 'utf8'), '8\n');
    assert.equal(store.reservedUpTo, 8);
    assert.deepEqual(tokens, [1, 2, 3, 4, 5]);
  });

  test('when restarted in the middle of a block, then tokens continue above every token handed out before', () => {
    const path = freshPath();
    const before = take(createFileTokenStore(path, { blockSize: 10 }), 3);
    const after = take(createFileTokenStore(path, { blockSize: 10 }), 3);
    assert.deepEqual(after, [11, 12, 13]);
    assertStrictlyIncreasing([...before, ...after]);
  });

  test('when restarted exactly at a block boundary, then tokens continue above it', () => {
    const path = freshPath();
    const before = take(createFileTokenStore(path, { blockSize: 5 }), 10);
    const after = take(createFileTokenStore(path, { blockSize: 5 }), 1);
    assertStrictlyIncreasing([...before, ...after]);
  });

  test('when restarted many times, including with a different block size, then no token ever repeats', () => {
    const path = freshPath();
    const all: number[] = [];
    for (let run = 0; run < 20; run++)
      all.push(...take(createFileTokenStore(path, { blockSize: 1 + (run % 4) * 3 }), run % 7));
    assertStrictlyIncreasing(all);
  });

  test('when a block is reserved, then no temporary file is left beside the mark', () => {
    const path = freshPath();
    take(createFileTokenStore(path, { blockSize: 2 }), 9);
    assert.deepEqual(readdirSync(join(path, '..')), ['fencing-tokens']);
  });

  test('when the mark file is corrupt, then the store refuses to start rather than guess', () => {
    const path = freshPath();
    createFileTokenStore(path);
    for (const bad of ['', 'abc\n', '-5\n', '1e3\n', '12.5\n', '99999999999999999999\n']) {
      writeFileSync(path, bad);
      assert.throws(() => createFileTokenStore(path), /corrupt/, JSON.stringify(bad));
    }
  });

  test('when the block size is not a positive integer, then the store refuses to start', () => {
    for (const blockSize of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => createFileTokenStore(freshPath(), { blockSize }), RangeError);
    }
  });

  test('when the data dir cannot be written, then the store fails at start-up', () => {
    const blocker = join(root, `blocker-${++fileSeq}`);
    writeFileSync(blocker, 'a file where a directory should be');
    assert.throws(() => createFileTokenStore(join(blocker, 'fencing-tokens')));
  });

  test(
    'when a process handing out tokens is killed with SIGKILL, then the next process starts above every token it printed',
    { timeout: 60_000 },
    async () => {
      const path = freshPath();
      let highest = 0;
      // Small blocks get killed mostly while reserving (fsync dominates), large ones mostly
      // while printing in the middle of a block; both must resume above everything printed.
      for (const [round, blockSize] of [7, 1_000, 100_000, 3].entries()) {
        const printed = await runAndKill(path, blockSize, 50 + round * 37);
        assert.ok(printed.length >= 50 + round * 37);
        assertStrictlyIncreasing(printed);
        assert.ok(
          (printed[0] ?? 0) > highest,
          `round ${round} started at ${printed[0]}, not above ${highest}`,
        );
        highest = printed.at(-1) ?? highest;
      }
      const [first] = await runToEnd(path, 1_000, 1);
      assert.ok(
        first !== undefined && first > highest,
        `next process started at ${first}, not above ${highest}`,
      );
    },
  );
});

describe('memory token store', () => {
  test('when tokens are taken, then they strictly increase from the given start', () => {
    assert.deepEqual(take(createMemoryTokenStore(), 3), [1, 2, 3]);
    assert.deepEqual(take(createMemoryTokenStore(41), 2), [42, 43]);
  });
});

const fixture = fileURLToPath(new URL('./token-store.fixture.ts', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');

function startFixture(path: string, blockSize: number, count: number | 'forever') {
  const child = spawn(
    process.execPath,
    ['--import', tsxLoader, fixture, path, String(blockSize), String(count)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(signal ?? code));
  });
  // Only whole lines count: a line is printed after its token was handed out.
  const tokens = () => output.split('\n').slice(0, -1).map(Number);
  return { child, exited, tokens };
}

async function runAndKill(path: string, blockSize: number, killAfter: number): Promise<number[]> {
  const run = startFixture(path, blockSize, 'forever');
  await new Promise<void>((resolve, reject) => {
    run.child.stdout.on('data', () => {
      if (run.tokens().length >= killAfter) resolve();
    });
    run.exited.then(() => reject(new Error('fixture exited before it was killed')), reject);
  });
  run.child.kill('SIGKILL');
  assert.equal(await run.exited, 'SIGKILL');
  // Everything the killed process wrote before dying is still in the pipe and is read here.
  return run.tokens();
}

async function runToEnd(path: string, blockSize: number, count: number): Promise<number[]> {
  const run = startFixture(path, blockSize, count);
  assert.equal(await run.exited, 0);
  return run.tokens();
}
