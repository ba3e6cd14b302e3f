import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@dslab/testing';
import {
  CODIGOS_UF,
  buildChaveAcesso,
  formatChaveAcesso,
  generateCodigoNumerico,
  hasValidCheckDigit,
  parseChaveAcesso,
  type PartesChave,
} from './chave-acesso.js';
import { generateCnpj } from './cnpj.js';
import { mod11Remainder } from './mod11.js';

/** The example key of the NF-e Manual de Orientação do Contribuinte (older layout: 9-digit cNF). */
const MOC_EXAMPLE = '52060433009911002506550120000007800267301615';

const PARTES: PartesChave = {
  cUF: 35,
  ano: 2017,
  mes: 6,
  cnpj: '08.530.528/0001-84',
  modelo: '55',
  serie: 0,
  nNF: 1,
  tpEmis: 1,
  cNF: 1,
};
const CHAVE = '35170608530528000184550000000000011000000015';

function built(partes: PartesChave): string {
  const result = buildChaveAcesso(partes);
  if (!result.ok) assert.fail(JSON.stringify(result.errors));
  return result.value;
}

function randomChave(random: () => number): string {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  return built({
    cUF: CODIGOS_UF[int(0, CODIGOS_UF.length - 1)] ?? 35,
    ano: int(2006, 2099),
    mes: int(1, 12),
    cnpj: generateCnpj(random),
    modelo: '55',
    serie: int(0, 999),
    nNF: int(1, 999_999_999),
    tpEmis: [1, 2, 3, 4, 5, 6, 7, 9][int(0, 7)] ?? 1,
    cNF: generateCodigoNumerico(random),
  });
}

describe('buildChaveAcesso', () => {
  test('the manual’s example key has a valid check digit (5)', () => {
    assert.equal(hasValidCheckDigit(MOC_EXAMPLE), true);
    assert.equal(hasValidCheckDigit(`${MOC_EXAMPLE.slice(0, 43)}4`), false);
  });

  test('when the parts are SP, 2017-06, CNPJ 08.530.528/0001-84, série 0, nº 1, tpEmis 1, cNF 1, then the key ends in 5', () => {
    assert.equal(built(PARTES), CHAVE);
    assert.equal(CHAVE.length, 44);
  });

  test('the parts sit at their fixed offsets: cUF 2, AAMM 4, CNPJ 14, modelo 2, série 3, nNF 9, tpEmis 1, cNF 8, cDV 1', () => {
    const key = built({
      ...PARTES,
      cUF: 52,
      ano: 2025,
      mes: 10,
      serie: 12,
      nNF: 780,
      tpEmis: 6,
      cNF: 2_673_016,
    });
    const cuts = [2, 4, 14, 2, 3, 9, 1, 8, 1];
    const parts: string[] = [];
    let at = 0;
    for (const n of cuts) {
      parts.push(key.slice(at, at + n));
      at += n;
    }
    assert.deepEqual(parts.slice(0, 8), [
      '52',
      '2510',
      '08530528000184',
      '55',
      '012',
      '000000780',
      '6',
      '02673016',
    ]);
  });

  test('when every part is wrong, then every part is reported', () => {
    const result = buildChaveAcesso({
      cUF: 10,
      ano: 1999,
      mes: 13,
      cnpj: '11444777000162',
      modelo: '65',
      serie: 1000,
      nNF: 0,
      tpEmis: 8,
      cNF: 100_000_000,
    });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.field),
      ['cUF', 'ano', 'mes', 'cnpj', 'modelo', 'serie', 'nNF', 'tpEmis', 'cNF'],
    );
  });
});

describe('parseChaveAcesso', () => {
  test('a built key parses back to its parts and check digit', () => {
    assert.deepEqual(parseChaveAcesso(CHAVE), {
      ok: true,
      value: { ...PARTES, cnpj: '08530528000184', cDV: 5 },
    });
  });

  test('the key printed in groups of four (as on a DANFE) parses too', () => {
    assert.equal(formatChaveAcesso(CHAVE), '3517 0608 5305 2800 0184 5500 0000 0000 0110 0000 0015');
    assert.equal(parseChaveAcesso(formatChaveAcesso(CHAVE)).ok, true);
  });

  test('the manual’s older-layout example is refused only for tpEmis 0', () => {
    const result = parseChaveAcesso(MOC_EXAMPLE);
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.field),
      ['tpEmis'],
    );
  });

  test('when the key has 43 digits or a letter, then it is refused as a whole', () => {
    for (const bad of [CHAVE.slice(1), `${CHAVE.slice(0, 43)}X`, ''])
      assert.deepEqual(parseChaveAcesso(bad), {
        ok: false,
        errors: [{ field: 'chave', reason: 'a chave de acesso has exactly 44 digits' }],
      });
  });

  test('the seed’s fake key (three EAN-13s, 39 digits) is refused', () => {
    assert.equal(parseChaveAcesso('789123456789078912345678907891234567890').ok, false);
  });

  test('when the check digit is wrong, then it names the expected one', () => {
    const result = parseChaveAcesso(`${CHAVE.slice(0, 43)}7`);
    assert.deepEqual(result, {
      ok: false,
      errors: [{ field: 'cDV', reason: 'check digit is 7, expected 5' }],
    });
  });
});

describe('chave de acesso: properties', () => {
  for (const seed of [1, 55, 20_251_026]) {
    test(`for random keys (seed ${seed}), each builds, parses back and has a valid check digit`, () => {
      const random = seededRandom(seed);
      for (let n = 0; n < 2_000; n++) {
        const key = randomChave(random);
        assert.equal(hasValidCheckDigit(key), true, key);
        const parsed = parseChaveAcesso(key);
        assert.ok(parsed.ok, key);
        assert.equal(built(parsed.value), key);
      }
    });

    test(`for random keys and any one altered digit (seed ${seed}), the check fails, except a 0 ↔ 1 remainder swap when cDV is 0`, () => {
      const random = seededRandom(seed ^ 0x9e3779b9);
      let undetected = 0;
      for (let n = 0; n < 5_000; n++) {
        const key = randomChave(random);
        const i = Math.floor(random() * 44);
        const d = (Number(key[i]) + 1 + Math.floor(random() * 9)) % 10;
        const altered = `${key.slice(0, i)}${d}${key.slice(i + 1)}`;
        assert.notEqual(altered, key);
        if (key[43] !== '0' || i === 43) {
          assert.equal(hasValidCheckDigit(altered), false, `${key} → ${altered}`);
        } else {
          // The one blind spot of this modulo-11 variant (see mod11.ts).
          const collides = mod11Remainder(key.slice(0, 43)) <= 1 && mod11Remainder(altered.slice(0, 43)) <= 1;
          assert.equal(hasValidCheckDigit(altered), collides, `${key} → ${altered}`);
          if (collides) undetected++;
        }
      }
      assert.ok(undetected < 100, `undetected ${undetected} of 5000`);
    });

    test(`for random keys and any swap of two adjacent different digits in the body (seed ${seed}), the check fails when cDV is not 0`, () => {
      const random = seededRandom(seed + 7);
      for (let n = 0; n < 5_000; n++) {
        const key = randomChave(random);
        const i = Math.floor(random() * 42);
        if (key[i] === key[i + 1] || key[43] === '0') continue;
        const swapped = `${key.slice(0, i)}${key[i + 1] ?? ''}${key[i] ?? ''}${key.slice(i + 2)}`;
        assert.equal(hasValidCheckDigit(swapped), false, `${key} → ${swapped}`);
      }
    });
  }

  test('the blind spot is real: a key with cDV 0 exists whose one-digit alteration still passes', () => {
    const random = seededRandom(99);
    let found = false;
    for (let n = 0; n < 20_000 && !found; n++) {
      const key = randomChave(random);
      if (key[43] !== '0') continue;
      for (let i = 0; i < 43 && !found; i++)
        for (let d = 0; d < 10 && !found; d++) {
          const altered = `${key.slice(0, i)}${d}${key.slice(i + 1)}`;
          if (altered !== key && hasValidCheckDigit(altered)) found = true;
        }
    }
    assert.equal(found, true);
  });
});
