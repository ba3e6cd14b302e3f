import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { calculateJwkThumbprint, decodeProtectedHeader, importPKCS8, SignJWT } from 'jose';
import { DEV_RECEIPT_SIGNING_KEY } from '../config.js';
import { explainReceipt, RECEIPT_TYPE, type ReceiptClaims } from '../domain/receipt.js';
import { createReceiptSigner, ReceiptVerificationError, verifyReceipt } from './receipts.js';

const NOW = Date.parse('2026-12-01T02:59:59.950Z');

function freshPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

const won: ReceiptClaims = {
  sub: '7',
  resultado: 'concedido',
  telescopio_id: 'Hubble-Acad',
  horario_inicio_utc: '2026-12-01T03:00:00.000Z',
  horario_fim_utc: '2026-12-01T03:10:00.000Z',
  recursos: ['Hubble-Acad_2026-12-01T03:00:00Z', 'Hubble-Acad_2026-12-01T03:05:00Z'],
  agendamento_id: 42,
  tokens_fencing: [101, 102],
  recebido_em_utc: '2026-12-01T02:59:59.950Z',
  horario_clique_utc: '2026-12-01T02:59:59.870Z',
  incerteza_ms: 12,
  audit_seq: 314,
  audit_hash: 'a'.repeat(64),
};

const lost: ReceiptClaims = {
  sub: '8',
  resultado: 'recusado',
  motivo: 'slot-taken',
  telescopio_id: 'Hubble-Acad',
  horario_inicio_utc: '2026-12-01T03:00:00.000Z',
  horario_fim_utc: '2026-12-01T03:05:00.000Z',
  recursos: ['Hubble-Acad_2026-12-01T03:00:00Z'],
  agendamentos_conflitantes: [42],
  recebido_em_utc: '2026-12-01T02:59:59.953Z',
  horario_clique_utc: null,
  incerteza_ms: null,
  audit_seq: 315,
  audit_hash: 'b'.repeat(64),
};

function b64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodePayload(jws: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(
      error instanceof ReceiptVerificationError,
      `expected ReceiptVerificationError, got ${String(error)}`,
    );
    assert.match(error.message, pattern);
    return true;
  });
}

describe('receipt signer', () => {
  test('when a decision is signed, then the receipt verifies with the published key and carries every claim', async () => {
    const signer = await createReceiptSigner({ privateKeyPem: freshPem(), now: () => NOW });
    const receipt = await signer.sign(won);
    assert.deepEqual(decodeProtectedHeader(receipt), { alg: 'EdDSA', kid: signer.kid, typ: RECEIPT_TYPE });
    const { claims, kid } = await verifyReceipt(receipt, signer.jwks);
    assert.equal(kid, signer.kid);
    const { iss, iat, jti, ...decision } = claims;
    assert.deepEqual(decision, won);
    assert.equal(iss, 'servico-agendamento');
    assert.equal(iat, Math.floor(NOW / 1000));
    assert.match(jti, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('when two receipts are signed, then each has its own jti', async () => {
    const signer = await createReceiptSigner({ privateKeyPem: freshPem(), now: () => NOW });
    const a = await verifyReceipt(await signer.sign(lost), signer.jwks);
    const b = await verifyReceipt(await signer.sign(lost), signer.jwks);
    assert.notEqual(a.claims.jti, b.claims.jti);
    assert.equal(a.claims.motivo, 'slot-taken');
  });

  test('when the payload is altered after signing, then verification fails on the signature', async () => {
    const signer = await createReceiptSigner({ privateKeyPem: freshPem(), now: () => NOW });
    const [header, , signature] = (await signer.sign(lost)).split('.');
    const forged = { ...decodePayload(await signer.sign(lost)), resultado: 'concedido', agendamento_id: 43 };
    await rejectsWith(
      verifyReceipt(`${header}.${b64urlJson(forged)}.${signature}`, signer.jwks),
      /signature does not match key/,
    );
  });

  test('when the receipt was signed by another key, then it does not verify: unknown kid, or a forged kid', async () => {
    const ours = await createReceiptSigner({ privateKeyPem: freshPem(), now: () => NOW });
    const otherPem = freshPem();
    const theirs = await createReceiptSigner({ privateKeyPem: otherPem, now: () => NOW });
    await rejectsWith(verifyReceipt(await theirs.sign(won), ours.jwks), /not in the given key set/);
    // Another key that claims our kid in its header.
    const forgedKid = await new SignJWT({ ...decodePayload(await theirs.sign(won)) })
      .setProtectedHeader({ alg: 'EdDSA', kid: ours.kid, typ: RECEIPT_TYPE })
      .sign(await importPKCS8(otherPem, 'EdDSA'));
    await rejectsWith(verifyReceipt(forgedKid, ours.jwks), /signature does not match key/);
  });

  test('when the key set pairs our kid with another public key, then verification says the key set was altered', async () => {
    const ours = await createReceiptSigner({ privateKeyPem: freshPem(), now: () => NOW });
    const theirs = await createReceiptSigner({ privateKeyPem: freshPem(), now: () => NOW });
    const swapped = { keys: [{ ...theirs.jwks.keys[0], kid: ours.kid }] };
    await rejectsWith(verifyReceipt(await ours.sign(won), swapped), /does not match its own thumbprint/);
  });

  test('when the header is wrong (alg, typ, kid) or the text is no JWS, then verification names the problem', async () => {
    const pem = freshPem();
    const signer = await createReceiptSigner({ privateKeyPem: pem, now: () => NOW });
    const payload = decodePayload(await signer.sign(won));
    const hs256 = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', kid: signer.kid, typ: RECEIPT_TYPE })
      .sign(new TextEncoder().encode('x'.repeat(32)));
    await rejectsWith(verifyReceipt(hs256, signer.jwks), /alg is "HS256"/);
    const key = await importPKCS8(pem, 'EdDSA');
    const plainJwt = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, typ: 'JWT' })
      .sign(key);
    await rejectsWith(verifyReceipt(plainJwt, signer.jwks), /typ is "JWT"/);
    const noKid = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'EdDSA', typ: RECEIPT_TYPE })
      .sign(key);
    await rejectsWith(verifyReceipt(noKid, signer.jwks), /names no key/);
    await rejectsWith(verifyReceipt('not a receipt', signer.jwks), /Not a JWS compact serialization/);
  });

  test('when a correctly signed payload lacks receipt claims, then verification lists them', async () => {
    const pem = freshPem();
    const signer = await createReceiptSigner({ privateKeyPem: pem, now: () => NOW });
    const { audit_hash: _hash, ...partial } = decodePayload(await signer.sign(won));
    const incomplete = await new SignJWT({ ...partial, resultado: 'talvez' })
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, typ: RECEIPT_TYPE })
      .sign(await importPKCS8(pem, 'EdDSA'));
    await rejectsWith(
      verifyReceipt(incomplete, signer.jwks),
      /claim resultado is not concedido or recusado; missing claim audit_hash/,
    );
  });

  test('when the key is not Ed25519 or not a private key, then the signer refuses it at start-up', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    await assert.rejects(
      createReceiptSigner({ privateKeyPem: ec, now: () => NOW }),
      /must be an Ed25519 private key; this one is ec/,
    );
    const x25519 = generateKeyPairSync('x25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    await assert.rejects(
      createReceiptSigner({ privateKeyPem: x25519, now: () => NOW }),
      /this one is x25519/,
    );
    const publicOnly = generateKeyPairSync('ed25519')
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    await assert.rejects(
      createReceiptSigner({ privateKeyPem: publicOnly, now: () => NOW }),
      /not a readable PEM private key/,
    );
    await assert.rejects(
      createReceiptSigner({ privateKeyPem: 'definitely not a key, but long enough', now: () => NOW }),
      (error: unknown) => error instanceof Error && !error.message.includes('definitely'),
    );
  });

  test('when the PEM comes with literal \\n escapes (an environment variable), then it is the same key', async () => {
    const pem = freshPem();
    const escaped = pem.replace(/\n/g, '\\n');
    assert.ok(!escaped.includes('\n'));
    const a = await createReceiptSigner({ privateKeyPem: pem, now: () => NOW });
    const b = await createReceiptSigner({ privateKeyPem: escaped, now: () => NOW });
    assert.equal(b.kid, a.kid);
    await verifyReceipt(await b.sign(won), a.jwks);
  });

  test('the key set has one OKP Ed25519 signing key whose kid is its RFC 7638 thumbprint, stable across starts', async () => {
    const a = await createReceiptSigner({ privateKeyPem: DEV_RECEIPT_SIGNING_KEY, now: () => NOW });
    const b = await createReceiptSigner({ privateKeyPem: DEV_RECEIPT_SIGNING_KEY, now: () => NOW + 1 });
    assert.equal(a.jwks.keys.length, 1);
    const [jwk] = a.jwks.keys;
    assert.ok(jwk);
    assert.deepEqual(Object.keys(jwk).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    assert.equal(jwk.kty, 'OKP');
    assert.equal(jwk.crv, 'Ed25519');
    assert.equal(jwk.alg, 'EdDSA');
    assert.equal(jwk.use, 'sig');
    assert.match(jwk.x, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(jwk.kid, a.kid);
    assert.equal(a.kid, await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, 'sha256'));
    assert.deepEqual(b.jwks, a.jwks);
  });

  test('the kid matches the RFC 8037 (appendix A.3) known-answer thumbprint', async () => {
    // RFC 8037 A.1 private key, turned into PKCS#8 PEM.
    const pem = createPrivateKey({
      format: 'jwk',
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
        x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      },
    })
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const signer = await createReceiptSigner({ privateKeyPem: pem, now: () => NOW });
    assert.equal(signer.jwks.keys[0]?.x, '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo');
    assert.equal(signer.kid, 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });
});

describe('explainReceipt', () => {
  test('a won receipt reads as granted, with slot, times, fencing tokens and audit entry', () => {
    const text = explainReceipt(won).join('\n');
    assert.match(text, /GRANTED — booking 42 to scientist 7/);
    assert.match(text, /Hubble-Acad 2026-12-01T03:00:00.000Z → 2026-12-01T03:10:00.000Z/);
    assert.match(text, /Server receipt time: 2026-12-01T02:59:59.950Z/);
    assert.match(
      text,
      /Click time: 2026-12-01T02:59:59.870Z ± 12 ms .*received the request 80 ms after the stated click/,
    );
    assert.match(text, /Fencing tokens: 101, 102/);
    assert.match(text, new RegExp(`Audit entry: seq 314, hash ${'a'.repeat(64)}`));
  });

  test('a lost receipt reads as refused with the reason and the conflicting bookings', () => {
    const text = explainReceipt({
      ...lost,
      iss: 'servico-agendamento',
      iat: Math.floor(NOW / 1000),
      jti: 'j-1',
    }).join('\n');
    assert.match(text, /REFUSED for scientist 8 — slot-taken: another booking already held the slot/);
    assert.match(text, /Click time: not sent by the client/);
    assert.match(text, /Conflicting bookings: 42/);
    assert.match(text, /Issued: 2026-12-01T02:59:59.000Z by servico-agendamento, receipt id j-1/);
    assert.doesNotMatch(text, /Fencing tokens/);
  });
});
