import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BASE_OPTIONS,
  COMMON_OPTIONS,
  fraction,
  nonNegativeInteger,
  nonNegativeNumber,
  parseCommandLine,
  positiveIntegerList,
  switchOption,
  valueOption,
  positiveInteger,
  type BaseBenchOptions,
  type CommandLineOptions,
  type CommonBenchOptions,
} from './command-line.js';

interface ExampleOptions extends CommonBenchOptions {
  connections: number[];
  messages: number;
  postgres: boolean;
}

const TABLE: CommandLineOptions<ExampleOptions> = {
  ...COMMON_OPTIONS,
  '--connections': valueOption('connections', positiveIntegerList),
  '--messages': valueOption('messages', positiveInteger),
  '--postgres': switchOption('postgres', true),
};

function parse(argv: string[], hint?: string): ExampleOptions {
  const defaults: ExampleOptions = {
    quick: false,
    durationS: 5,
    warmupS: 1,
    logLevel: 'warn',
    outDir: 'docs/benchmarks',
    connections: [10],
    messages: 100,
    postgres: false,
  };
  return parseCommandLine(argv, defaults, TABLE, hint);
}

describe('benchmark command line', () => {
  test('the common options and a table of its own override the defaults', () => {
    assert.deepEqual(
      parse([
        '--quick',
        '--duration',
        '2.5',
        '--warmup',
        '0.5',
        '--log-level',
        'info',
        '--out',
        '/tmp/x',
        '--connections',
        '1, 64',
        '--messages',
        '7',
        '--postgres',
      ]),
      {
        quick: true,
        durationS: 2.5,
        warmupS: 0.5,
        logLevel: 'info',
        outDir: '/tmp/x',
        connections: [1, 64],
        messages: 7,
        postgres: true,
      },
    );
    assert.equal(parse([]).durationS, 5);
  });

  test('a bad value is refused with the flag named', () => {
    assert.throws(() => parse(['--duration', '0']), /--duration needs a positive number \(got 0\)/);
    assert.throws(() => parse(['--duration']), /--duration needs a positive number \(got undefined\)/);
    assert.throws(() => parse(['--messages', '1.5']), /--messages needs a whole number/);
    assert.throws(() => parse(['--connections', '1,,2']), /--connections needs a positive number/);
    assert.throws(() => parse(['--log-level', 'loud']), /--log-level needs one of debug, info, warn/);
    assert.throws(() => parse(['--out', '']), /--out needs a folder/);
  });

  test('an unknown flag is refused with a hint', () => {
    assert.throws(() => parse(['--frobnicate']), /^Error: unknown option --frobnicate \(see --help\)$/);
    assert.throws(() => parse(['--toString']), /unknown option --toString/);
    assert.throws(() => parse(['--x'], '\n\nusage'), /unknown option --x\n\nusage/);
  });

  test('a benchmark without timed runs takes the base options only', () => {
    const defaults: BaseBenchOptions = { quick: false, logLevel: 'warn', outDir: 'docs/benchmarks' };
    assert.deepEqual(parseCommandLine(['--quick', '--out', '/tmp/y'], { ...defaults }, BASE_OPTIONS), {
      quick: true,
      logLevel: 'warn',
      outDir: '/tmp/y',
    });
    assert.throws(
      () => parseCommandLine(['--duration', '1'], { ...defaults }, BASE_OPTIONS),
      /unknown option/,
    );
  });

  test('fractions and numbers ≥ 0 take 0, and refuse what is out of range with the flag named', () => {
    assert.equal(fraction('--x', '0'), 0);
    assert.equal(fraction('--x', '0.25'), 0.25);
    assert.throws(() => fraction('--rejection', '1.5'), /--rejection needs a number from 0 to 1 \(got 1.5\)/);
    assert.equal(nonNegativeInteger('--x', '0'), 0);
    assert.throws(() => nonNegativeInteger('--seed', '2.5'), /--seed needs a whole number ≥ 0/);
    assert.equal(nonNegativeNumber('--x', '0.5'), 0.5);
    assert.throws(() => nonNegativeNumber('--quiet-wait', '-1'), /--quiet-wait needs a number ≥ 0/);
    assert.throws(() => nonNegativeNumber('--quiet-wait', ' '), /--quiet-wait needs a number ≥ 0/);
  });
});
