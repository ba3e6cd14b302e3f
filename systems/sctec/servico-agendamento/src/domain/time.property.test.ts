// Property tests: our parser/formatter against the platform's Date as an independent oracle.
// The domain lint rule forbids the global Date (domain code takes time from an injected Clock);
// here Date is only the reference implementation we compare against, never a clock. Each use
// is exempted on its own line.
import { test } from 'node:test';
import { seededRandom } from '@dslab/testing';
import assert from 'node:assert/strict';
import { MAX_INSTANT_MS, daysInMonth, formatUtc, formatUtcSeconds, parseUtcInstant } from './time.js';

const SEEDS = [1, 20_251_201, 0xdeadbeef];
const SAMPLES_PER_SEED = 20_000;

function isoOracle(ms: number): string {
  return new Date(ms).toISOString();
}

function utcOracle(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

for (const seed of SEEDS) {
  test(`for random instants in 1970–9999 (seed ${seed}), formatUtc equals Date#toISOString and parse inverts it`, () => {
    const random = seededRandom(seed);
    for (let i = 0; i < SAMPLES_PER_SEED; i++) {
      const ms = Math.floor(random() * (MAX_INSTANT_MS + 1));
      const text = formatUtc(ms);
      assert.equal(text, isoOracle(ms), `ms=${ms}`);
      assert.equal(parseUtcInstant(text), ms, text);
      const whole = ms - (ms % 1000);
      assert.equal(formatUtcSeconds(whole), isoOracle(whole).replace('.000Z', 'Z'));
      assert.equal(parseUtcInstant(formatUtcSeconds(whole)), whole);
    }
  });

  test(`for random field combinations, valid or not (seed ${seed}), the parser accepts exactly the real calendar instants`, () => {
    const random = seededRandom(seed ^ 0x5bd1e995);
    const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
    for (let i = 0; i < SAMPLES_PER_SEED; i++) {
      const y = int(1970, 9999);
      const mo = int(0, 13);
      const d = int(0, 32);
      const h = int(0, 25);
      const mi = int(0, 61);
      const s = int(0, 61);
      const text = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}Z`;
      const valid =
        mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && h <= 23 && mi <= 59 && s <= 59;
      const expected = valid ? utcOracle(y, mo, d, h, mi, s) : undefined;
      assert.equal(parseUtcInstant(text), expected, text);
    }
  });
}
