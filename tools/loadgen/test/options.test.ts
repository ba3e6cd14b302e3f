// The load generator's command line: defaults, every flag, and bad input refused with the flag named.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_FAULTS, DEFAULT_LATENCY, parseBenchOptions } from '../src/options.js';

describe('bench:checkout options', () => {
  test('the full plan by default: three transports, stepped rates, closed runs, two faults and a hop latency', () => {
    const options = parseBenchOptions([]);
    assert.deepEqual(options.transports, ['grpc', 'rest', 'async']);
    assert.deepEqual(options.rates, [5, 10, 20, 30, 40, 60, 80, 120, 160]);
    assert.deepEqual(
      options.faults.map((f) => f.text),
      [...DEFAULT_FAULTS],
    );
    assert.equal(options.latency?.text, DEFAULT_LATENCY);
    assert.equal(options.outDir, 'docs/benchmarks/checkout');
  });

  test('--quick is a short plan with one fault and no latency phase', () => {
    const options = parseBenchOptions(['--quick']);
    assert.deepEqual(options.rates, [5, 10]);
    assert.equal(options.faults.length, 1);
    assert.equal(options.latency, null);
    // Not over the saved results the report is built from.
    assert.equal(options.outDir, 'data/bench-checkout-quick');
  });

  test('flags set what they name; lists are sorted and deduplicated', () => {
    const options = parseBenchOptions([
      '--transports',
      'async,grpc',
      '--rates',
      '40,10,10',
      '--concurrency',
      '8,2',
      '--fault',
      'pause:fiscal@orders=30+2s',
      '--fault',
      'kill:logistica@random(2s..6s)+1s',
      '--latency',
      'estoque=50ms',
      '--payment-latency',
      '0-10',
      '--rejection',
      '0',
      '--seed',
      '7',
      '--target-p99-ms',
      '250',
    ]);
    assert.deepEqual(options.transports, ['grpc', 'async']);
    assert.deepEqual(options.rates, [10, 40]);
    assert.deepEqual(options.concurrencies, [2, 8]);
    assert.deepEqual(
      options.faults.map((f) => [f.action, f.service, f.trigger.kind, f.durationS]),
      [
        ['pause', 'fiscal', 'after', 2],
        ['kill', 'logistica', 'random', 1],
      ],
    );
    assert.deepEqual(
      { service: options.latency?.service, delayMs: options.latency?.delayMs },
      { service: 'estoque', delayMs: 50 },
    );
    assert.deepEqual(options.payment, { minMs: 0, maxMs: 10, rejection: 0 });
    assert.equal(options.seed, 7);
    assert.equal(options.targetP99Ms, 250);
  });

  test('--no-faults drops the fault and latency phases; with --fault it is a contradiction', () => {
    const options = parseBenchOptions(['--no-faults']);
    assert.deepEqual(options.faults, []);
    assert.equal(options.latency, null);
    assert.throws(() => parseBenchOptions(['--no-faults', '--fault', 'kill:pagamentos@1s+1s']), /contradict/);
  });

  test('bad input is refused with the flag named', () => {
    assert.throws(() => parseBenchOptions(['--transports', 'soap']), /--transports/);
    assert.throws(() => parseBenchOptions(['--rates', '10,-5']), /--rates/);
    assert.throws(() => parseBenchOptions(['--fault', 'explode:pagamentos@1s+1s']), /--fault/);
    assert.throws(() => parseBenchOptions(['--fault', 'kill:pagamentos@30s+1s']), /after the phase ends/);
    assert.throws(() => parseBenchOptions(['--latency', 'pagamentos']), /--latency/);
    assert.throws(() => parseBenchOptions(['--customers', '99']), /customers/);
    assert.throws(() => parseBenchOptions(['--payment-latency', '80-20']), /--payment-latency/);
    assert.throws(() => parseBenchOptions(['--bogus']), /unknown option --bogus/);
  });
});
