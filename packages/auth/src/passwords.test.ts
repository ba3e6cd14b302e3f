import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashPassword, SCRYPT_PARAMS, verifyPassword } from './passwords.js';

describe('password hashes', () => {
  test('a hash names scrypt and its parameters, never the password, and differs on every call', async () => {
    const a = await hashPassword('senha-segura-1');
    const b = await hashPassword('senha-segura-1');
    assert.match(a, new RegExp(`^scrypt\\$${SCRYPT_PARAMS.N}\\$${SCRYPT_PARAMS.r}\\$${SCRYPT_PARAMS.p}\\$`));
    assert.ok(!a.includes('senha-segura-1'));
    assert.notEqual(a, b, 'a fresh salt each time');
  });

  test('the right password verifies, a wrong one does not', async () => {
    const stored = await hashPassword('correta-123');
    assert.equal(await verifyPassword('correta-123', stored), true);
    assert.equal(await verifyPassword('errada-123', stored), false);
    assert.equal(await verifyPassword('', stored), false);
  });

  test('the same text in another Unicode normal form verifies (NFC)', async () => {
    const stored = await hashPassword('ma\u00e7\u00e3');
    assert.equal(await verifyPassword('mac\u0327a\u0303', stored), true);
  });

  test('a stored value that is not an scrypt hash never verifies', async () => {
    for (const stored of ['', 'plain', 'bcrypt$10$abc', 'scrypt$16384$8$1'])
      assert.equal(await verifyPassword('x', stored), false, stored);
  });

  test('a key of another length (a tampered hash) does not verify', async () => {
    const stored = await hashPassword('abc');
    const parts = stored.split('$');
    parts[5] = Buffer.from('short').toString('base64url');
    assert.equal(await verifyPassword('abc', parts.join('$')), false);
  });
});
