import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  validateEmail,
  validateName,
  validatePassword,
  validateTelescopeId,
  type Validation,
} from './validation.js';

function accepted(result: Validation): string {
  if (!result.ok) assert.fail(`expected acceptance, got: ${result.reason}`);
  return result.value;
}

function refused(result: Validation, reason?: RegExp): string {
  if (result.ok) assert.fail(`expected refusal, got ${JSON.stringify(result.value)}`);
  if (reason) assert.match(result.reason, reason);
  return result.reason;
}

describe('validateEmail', () => {
  test('accepts ordinary addresses, trims them and lower-cases only the domain', () => {
    assert.equal(accepted(validateEmail('marie.curie@sorbonne.fr')), 'marie.curie@sorbonne.fr');
    assert.equal(
      accepted(validateEmail('  Marie.Curie+sctec@Sorbonne.FR ')),
      'Marie.Curie+sctec@sorbonne.fr',
    );
    assert.equal(accepted(validateEmail('a@b.co')), 'a@b.co');
    assert.equal(accepted(validateEmail('x@xn--bcher-kva.example')), 'x@xn--bcher-kva.example');
  });

  const bad: readonly [string, RegExp][] = [
    ['', /empty/],
    ['   ', /empty/],
    ['marie', /exactly one "@"/],
    ['a@b@c.org', /exactly one "@"/],
    ['@sorbonne.fr', /nothing before "@"/],
    ['.marie@sorbonne.fr', /before "@"/],
    ['marie.@sorbonne.fr', /before "@"/],
    ['ma..rie@sorbonne.fr', /before "@"/],
    ['ma rie@sorbonne.fr', /before "@"/],
    ['marie@localhost', /valid domain/],
    ['marie@sorbonne.', /valid domain/],
    ['marie@-sorbonne.fr', /valid domain/],
    ['marie@sorbonne..fr', /valid domain/],
    ['marie@1.2.3.4', /valid domain/],
    ['marí@sorbonne.fr', /before "@"/],
    [`${'a'.repeat(65)}@example.org`, /more than 64/],
    [`a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(63)}.org`, /longer than 254/],
  ];
  for (const [text, reason] of bad) {
    test(`refuses ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}`, () => {
      refused(validateEmail(text), reason);
    });
  }

  test('when the address ends in a newline, then it is trimmed like other surrounding whitespace', () => {
    assert.equal(accepted(validateEmail('marie@sorbonne.fr\n')), 'marie@sorbonne.fr');
  });
});

describe('validatePassword', () => {
  test('accepts 8 and 200 characters; refuses 7 and 201', () => {
    accepted(validatePassword('12345678'));
    accepted(validatePassword('x'.repeat(200)));
    refused(validatePassword('1234567'), /at least 8 characters \(it has 7\)/);
    refused(validatePassword('x'.repeat(201)), /at most 200 characters \(it has 201\)/);
  });

  test('counts code points, so 8 emoji are 8 characters', () => {
    accepted(validatePassword('🔭'.repeat(8)));
    refused(validatePassword('🔭'.repeat(7)), /it has 7/);
  });

  test('keeps spaces as typed', () => {
    assert.equal(accepted(validatePassword('  spaced out  ')), '  spaced out  ');
  });

  test('never repeats the password in its reason', () => {
    const reason = refused(validatePassword('secret1'));
    assert.ok(!reason.includes('secret1'));
  });

  test('refuses a lone surrogate, which has no UTF-8 encoding', () => {
    refused(validatePassword('abcdefgh\uD800'), /lone surrogate/);
  });
});

describe('validateName', () => {
  test('accepts a name, NFC-normalised and trimmed', () => {
    assert.equal(accepted(validateName('  Marie Curie ')), 'Marie Curie');
    assert.equal(accepted(validateName('Bartolomeu de Gusma\u0303o')), 'Bartolomeu de Gusmão');
    assert.equal(accepted(validateName('李四')), '李四');
  });

  test('accepts 1 and 120 characters after trimming; refuses empty, blank and 121', () => {
    accepted(validateName('X'));
    accepted(validateName(` ${'é'.repeat(120)} `));
    refused(validateName(''), /empty/);
    refused(validateName(' \t '), /empty/);
    refused(validateName('a'.repeat(121)), /at most 120 characters \(it has 121\)/);
  });

  test('refuses control characters, line separators and bidi overrides anywhere inside', () => {
    for (const text of [
      'Marie\nCurie',
      'Marie\u0000',
      'Ma\u0007rie',
      'Marie\u0085Curie',
      'Marie\u2028Curie',
      'Marie \u202Eeiruc',
      'Marie\u2066x',
    ]) {
      refused(validateName(text), /control character/);
    }
  });

  test('refuses a lone surrogate', () => {
    refused(validateName('Marie\uDC00'), /lone surrogate/);
  });
});

describe('validateTelescopeId', () => {
  test('accepts ids like the seed’s Hubble-Acad and the edges of the pattern', () => {
    for (const id of ['Hubble-Acad', 'telescopio-1', 'A', '9', 'a.b_c-d', `A${'b'.repeat(63)}`]) {
      assert.equal(accepted(validateTelescopeId(id)), id);
    }
  });

  test('refuses empty, too long, a leading symbol, spaces, slashes, non-ASCII and a trailing newline', () => {
    refused(validateTelescopeId(''), /empty/);
    refused(validateTelescopeId(`A${'b'.repeat(64)}`), /longer than 64/);
    for (const id of [
      '-Hubble',
      '.hidden',
      '_x',
      'Hubble Acad',
      'Hubble/Acad',
      'Hubblé',
      'Hubble\n',
      ' Hubble',
    ]) {
      refused(validateTelescopeId(id), /must start with a letter or digit/);
    }
  });
});
