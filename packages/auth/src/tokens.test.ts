import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '@dslab/errors';
import { expectAppError } from '@dslab/testing';
import { SignJWT } from 'jose';
import { bearerTokenOf, createTokenService, INVALID_TOKEN_CHALLENGE } from './tokens.js';

const SECRET = 'a-test-secret-a-test-secret-0123456789';

interface Cliente {
  readonly id: number;
  readonly email: string;
}

function service(now: () => number = Date.now, secret = SECRET) {
  return createTokenService<Cliente>({
    secret,
    ttlSeconds: 60,
    now,
    issuer: 'emissor',
    audience: 'publico',
    claims(payload) {
      const id = Number(payload.sub);
      const email = payload['email'];
      if (!Number.isSafeInteger(id) || typeof email !== 'string')
        throw new AppError('unauthenticated', 'The token does not describe a customer');
      return { id, email };
    },
  });
}

describe('access tokens', () => {
  test('an issued token verifies into its principal', async () => {
    const tokens = service();
    const token = await tokens.issue('7', { email: 'a@b.c' });
    assert.deepEqual(await tokens.verify(token), { id: 7, email: 'a@b.c' });
    assert.equal(tokens.ttlSeconds, 60);
  });

  test('the token carries HS256, iss, aud, iat and exp = iat + ttl', async () => {
    const at = Date.UTC(2030, 0, 1);
    const token = await service(() => at).issue('7', { email: 'a@b.c' });
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>);
    assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
    assert.deepEqual(payload, {
      email: 'a@b.c',
      sub: '7',
      iss: 'emissor',
      aud: 'publico',
      iat: at / 1000,
      exp: at / 1000 + 60,
    });
  });

  test('an expired token is refused with 401, the expiry message and a WWW-Authenticate challenge', async () => {
    let now = Date.now();
    const tokens = service(() => now);
    const token = await tokens.issue('7', { email: 'a@b.c' });
    now += 61_000;
    const error = await expectAppError(tokens.verify(token));
    assert.equal(error.code, 'unauthenticated');
    assert.match(error.detail, /expired/);
    assert.equal(error.headers['www-authenticate'], INVALID_TOKEN_CHALLENGE);
  });

  test('forged, foreign-issuer, foreign-audience and malformed tokens are refused as not valid', async () => {
    const tokens = service();
    const forged = await service(Date.now, 'another-secret-another-secret-0123456').issue('7', {
      email: 'a@b.c',
    });
    const sign = (issuer: string, audience: string) =>
      new SignJWT({ email: 'a@b.c' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('7')
        .setIssuer(issuer)
        .setAudience(audience)
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(SECRET));
    for (const token of [
      forged,
      await sign('outro', 'publico'),
      await sign('emissor', 'outro'),
      'not-a-jwt',
      '',
    ]) {
      const error = await expectAppError(tokens.verify(token));
      assert.equal(error.code, 'unauthenticated', token);
      assert.equal(error.detail, 'The token is not valid');
      assert.equal(error.headers['www-authenticate'], INVALID_TOKEN_CHALLENGE);
    }
  });

  test("a valid token whose payload the service refuses is answered with the service's error", async () => {
    const tokens = service();
    const token = await tokens.issue('not-a-number', { email: 'a@b.c' });
    const error = await expectAppError(tokens.verify(token));
    assert.equal(error.detail, 'The token does not describe a customer');
  });

  test('a claims function that throws a plain error makes the token not valid', async () => {
    const tokens = createTokenService({
      secret: SECRET,
      ttlSeconds: 60,
      now: Date.now,
      issuer: 'i',
      audience: 'a',
      expiredMessage: 'expirou',
      invalidMessage: 'inválido',
      claims: () => {
        throw new Error('nope');
      },
    });
    const error = await expectAppError(tokens.verify(await tokens.issue('1')));
    assert.equal(error.detail, 'inválido');
    assert.equal(error.headers['www-authenticate'], INVALID_TOKEN_CHALLENGE);
  });
});

describe('bearer header', () => {
  test('absent or empty: no token; Bearer <token>: the token', () => {
    assert.equal(bearerTokenOf(undefined), undefined);
    assert.equal(bearerTokenOf(''), undefined);
    assert.equal(bearerTokenOf('Bearer abc.def-ghi_j'), 'abc.def-ghi_j');
    assert.equal(bearerTokenOf('  Bearer   abc  '), 'abc');
  });

  test('another scheme or a malformed token: 401 invalid_request', () => {
    for (const header of ['Basic abc', 'Bearer', 'Bearer a b', 'bearer abc', 'Bearer ab$c'])
      assert.throws(
        () => bearerTokenOf(header),
        (error: unknown) =>
          error instanceof AppError &&
          error.code === 'unauthenticated' &&
          error.headers['www-authenticate'] === 'Bearer error="invalid_request"',
        header,
      );
  });
});
