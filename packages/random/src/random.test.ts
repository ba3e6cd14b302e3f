import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SEED, osRandom, randomSource, seededRandom } from './random.js';

const draws = (random: () => number, n: number): number[] => Array.from({ length: n }, () => random());

describe('seededRandom', () => {
  test('the same seed gives the same sequence, another seed another', () => {
    for (const seed of [7, 42]) {
      const first = draws(seededRandom(seed), 1000);
      assert.deepEqual(draws(seededRandom(seed), 1000), first);
      assert.notDeepEqual(draws(seededRandom(seed + 1), 1000), first);
    }
  });

  test('it is the reference mulberry32: the first draws of seeds 0, 1, 42 and 2^32−1 are pinned', () => {
    // A change here would change every reproducible run (PAGAMENTO_SEED, FISCAL_SEED, LOGISTICA_SEED).
    const expected: Record<number, number[]> = {
      0: [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197],
      1: [0.6270739405881613, 0.002735721180215478, 0.5274470399599522],
      42: [0.6011037519201636, 0.44829055899754167, 0.8524657934904099],
      [MAX_SEED]: [0.8964226141106337, 0.189478256739676, 0.7156526781618595],
    };
    for (const [seed, values] of Object.entries(expected))
      assert.deepEqual(draws(seededRandom(Number(seed)), 3), values, `seed ${seed}`);
  });

  test('over 100 000 draws every number is in [0, 1), almost all differ, and the mean is about 1/2', () => {
    const random = seededRandom(2025);
    const seen = new Set<number>();
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      const r = random();
      assert.ok(r >= 0 && r < 1, `draw ${r}`);
      seen.add(r);
      sum += r;
    }
    assert.ok(seen.size > 99_000, `${seen.size} distinct draws`);
    // The mean of 100 000 uniforms has σ ≈ 0.0009; ±0.01 is beyond 10σ.
    assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.01, `mean ${sum / 100_000}`);
  });

  test('an integer seed is taken modulo 2^32: −1 is 2^32−1 and 2^32 is 0', () => {
    assert.deepEqual(draws(seededRandom(-1), 20), draws(seededRandom(MAX_SEED), 20));
    assert.deepEqual(draws(seededRandom(MAX_SEED + 1), 20), draws(seededRandom(0), 20));
    // XOR-mixed seeds of the property tests are negative 32-bit integers.
    assert.deepEqual(
      draws(seededRandom(1 ^ 0x9e3779b9), 20),
      draws(seededRandom((1 ^ 0x9e3779b9) >>> 0), 20),
    );
  });

  test('when the seed is not an integer, then it throws', () => {
    for (const seed of [1.5, Number.NaN, Number.POSITIVE_INFINITY])
      assert.throws(() => seededRandom(seed), RangeError, String(seed));
  });
});

describe('osRandom', () => {
  test('draws are in [0, 1) and do not repeat', () => {
    const values = draws(osRandom, 10_000);
    assert.ok(values.every((r) => r >= 0 && r < 1));
    assert.ok(new Set(values).size > 9_990);
  });
});

describe('randomSource', () => {
  test('a given source wins, else a seed gives seededRandom(seed), else the OS', () => {
    const given = () => 0.25;
    assert.equal(randomSource({ random: given, seed: 3 }), given);
    assert.deepEqual(draws(randomSource({ seed: 3 }), 20), draws(seededRandom(3), 20));
    assert.equal(randomSource({}), osRandom);
    assert.equal(randomSource({ seed: undefined }), osRandom);
  });
});
