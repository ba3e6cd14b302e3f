/**
 * Signed decision receipts over HTTP (issue 9): every 201 and every 409 of POST /agendamentos
 * carries a receipt signed with the configured Ed25519 key, verifiable against the served JWKS,
 * whose claims match the decision and whose audit_seq/audit_hash are the decision's entry in the
 * hash chain. Both engines, a controlled clock, real races.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { AuditRecord } from '@dslab/audit-log';
import { call, countByStatus, ENGINES, race } from '@dslab/testing';
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import { bookingRequest } from '../../test/harness.js';
import { auditTrailOverHttp } from '../../test/invariants.js';
import { ReceiptVerificationError, verifyReceipt, type ReceiptJwks } from '../src/adapters/receipts.js';
import {
  bookSlot,
  seedIso,
  SLOT,
  T0,
  useCoordinator,
  useFairShareScheduler,
  type Booking,
  type Link,
  type Problem,
} from './fair-share-support.js';

/** A 201 booking or a 409 refusal: only the refusal carries a problem `code`. */
type Decision = Booking & Partial<Pick<Problem, 'code'>>;
type ReceiptClaims = Awaited<ReturnType<typeof verifyReceipt>>['claims'];

const resource = (ms: number) => `Hubble-Acad_${seedIso(ms)}`;

/** A fresh Ed25519 key: its PKCS#8 PEM (for the scheduler) and its public x (to recognise it in the JWKS). */
function ed25519Key(): { pem: string; x: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), x: String(jwk.x) };
}

/** Signature check on its own, with jose directly (not through the project's verifier). */
async function independentlyVerified(receipt: string, jwks: ReceiptJwks): Promise<Record<string, unknown>> {
  const header = decodeProtectedHeader(receipt);
  assert.deepEqual(
    { alg: header.alg, typ: header.typ },
    { alg: 'EdDSA', typ: 'sctec-recibo+jwt' },
    'the receipt header',
  );
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `the receipt's kid ${String(header.kid)} is in the served JWKS`);
  const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, 'EdDSA');
  const { payload } = await compactVerify(receipt, key, { algorithms: ['EdDSA'] });
  return JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
}

/** The decision a receipt records, instants as epoch ms: the wire may carry them with or without milliseconds. */
function decisionOf(claims: ReceiptClaims) {
  return {
    sub: claims.sub,
    resultado: claims.resultado,
    motivo: claims.motivo,
    inicio: Date.parse(claims.horario_inicio_utc),
    fim: Date.parse(claims.horario_fim_utc),
    recursos: claims.recursos,
    agendamento_id: claims.agendamento_id,
    tokens_fencing: claims.tokens_fencing,
    agendamentos_conflitantes: claims.agendamentos_conflitantes,
    recebido: Date.parse(claims.recebido_em_utc),
    clique: claims.horario_clique_utc === null ? null : Date.parse(claims.horario_clique_utc),
    incerteza_ms: claims.incerteza_ms,
  };
}

describe('signed decision receipts over HTTP', () => {
  const coordinator = useCoordinator();

  for (const engine of ENGINES) {
    describe(`on ${engine}`, () => {
      const key = ed25519Key();
      // Off the second, so times must be carried, not rounded.
      const { clock, env, admin, jwks, slotAhead, assertInvariants } = useFairShareScheduler(engine, {
        coordinator,
        startsAt: T0 + 250,
        receiptKeyPem: key.pem,
        readJwks: true,
      });

      const book = (
        token: string,
        startMs: number,
        options: { endMs?: number; clique?: string; incerteza?: number; idempotencyKey?: string } = {},
      ) => bookSlot<Decision>(env().url, token, startMs, options);
      /** The audit entry a receipt points at, read as an admin over HTTP. */
      const auditEntryOf = (trail: AuditRecord[], seq: number) => {
        const found = trail.find((r) => r.seq === seq);
        assert.ok(found, `audit entry ${seq} exists`);
        return found;
      };

      test('the public key is published at /.well-known/jwks.json (the configured key, kid = its thumbprint) and linked from the root', async () => {
        assert.equal(jwks().keys.length, 1);
        const [jwk] = jwks().keys;
        assert.ok(jwk);
        assert.deepEqual(
          { kty: jwk.kty, crv: jwk.crv, alg: jwk.alg, use: jwk.use, x: jwk.x },
          { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', x: key.x },
        );
        assert.equal(
          jwk.kid,
          await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: key.x }, 'sha256'),
        );
        assert.equal(Object.keys(jwk).includes('d'), false, 'no private part');
        const root = await call<{ _links: Record<string, Link | undefined> }>(env().url, 'GET', '/');
        assert.equal(root.body._links.jwks?.href, '/.well-known/jwks.json');
      });

      test('when a booking is won, then its 201 carries a receipt whose claims match the booking, its fencing tokens and its AGENDAMENTO_CRIADO entry', async () => {
        const s = env();
        const scientist = await s.scientist('Recibo Ganho');
        const start = slotAhead(3);
        const clique = new Date(clock.now() - 180).toISOString();
        const won = await book(scientist.token, start, { endMs: start + 3 * SLOT, clique, incerteza: 12.5 });
        assert.equal(won.status, 201, won.text);
        assert.equal(typeof won.body.recibo, 'string');
        const receipt = won.body.recibo ?? '';
        const { claims, kid } = await verifyReceipt(receipt, jwks());
        assert.equal(kid, jwks().keys[0]?.kid);
        assert.deepEqual(await independentlyVerified(receipt, jwks()), claims);

        const row = await s.database.db
          .selectFrom('agendamentos')
          .select('tokens')
          .where('id', '=', won.body.id)
          .executeTakeFirstOrThrow();
        const tokens = (JSON.parse(row.tokens) as (number | string)[]).map(Number);
        assert.equal(tokens.length, 3);
        assert.deepEqual(
          { iss: claims.iss, telescopio_id: claims.telescopio_id, ...decisionOf(claims) },
          {
            iss: 'servico-agendamento',
            sub: String(scientist.id),
            resultado: 'concedido',
            motivo: undefined,
            telescopio_id: 'Hubble-Acad',
            inicio: start,
            fim: start + 3 * SLOT,
            recursos: [resource(start), resource(start + SLOT), resource(start + 2 * SLOT)],
            agendamento_id: won.body.id,
            tokens_fencing: tokens,
            agendamentos_conflitantes: undefined,
            recebido: clock.now(),
            clique: Date.parse(clique),
            incerteza_ms: 12.5,
          },
        );
        assert.equal(Date.parse(claims.recebido_em_utc), Date.parse(won.body.recebido_em_utc));
        assert.equal(claims.iat, Math.floor(clock.now() / 1000), 'iat on the server clock');
        assert.match(claims.jti, /^[0-9a-f-]{36}$/);

        const trail = await auditTrailOverHttp(s.url, admin());
        const entry = auditEntryOf(trail, claims.audit_seq);
        assert.equal(entry.event_type, 'AGENDAMENTO_CRIADO');
        assert.equal(entry.details.agendamento_id, won.body.id);
        assert.equal(entry.hash, claims.audit_hash);
        await assertInvariants([won.body]);
      });

      test('when a booking is lost, then its 409 carries a receipt naming the reason and the winner, tied to an AGENDAMENTO_RECUSADO entry that records the request', async () => {
        const s = env();
        const winner = await s.scientist('Primeira');
        const loser = await s.scientist('Segunda');
        const start = slotAhead(4);
        const won = await book(winner.token, start);
        assert.equal(won.status, 201, won.text);
        const clique = new Date(clock.now() - 40).toISOString();
        const lost = await book(loser.token, start, { clique, incerteza: 3 });
        assert.equal(lost.status, 409, lost.text);
        assert.equal(lost.body.code, 'slot-taken');
        assert.equal(typeof lost.body.recibo, 'string', lost.text);
        const { claims } = await verifyReceipt(lost.body.recibo ?? '', jwks());
        assert.deepEqual(await independentlyVerified(lost.body.recibo ?? '', jwks()), claims);
        assert.deepEqual(decisionOf(claims), {
          sub: String(loser.id),
          resultado: 'recusado',
          motivo: 'slot-taken',
          inicio: start,
          fim: start + SLOT,
          recursos: [resource(start)],
          agendamento_id: undefined,
          tokens_fencing: undefined,
          agendamentos_conflitantes: [won.body.id],
          recebido: clock.now(),
          clique: Date.parse(clique),
          incerteza_ms: 3,
        });

        const trail = await auditTrailOverHttp(s.url, admin());
        const entry = auditEntryOf(trail, claims.audit_seq);
        assert.equal(entry.event_type, 'AGENDAMENTO_RECUSADO');
        assert.equal(entry.hash, claims.audit_hash);
        const d = entry.details;
        assert.deepEqual(
          {
            cientista_id: d.cientista_id,
            telescopio_id: d.telescopio_id,
            inicio: Date.parse(String(d.horario_inicio_utc)),
            fim: Date.parse(String(d.horario_fim_utc)),
            recursos: d.recursos,
            motivo: d.motivo,
            recebido: Date.parse(String(d.recebido_em_utc)),
            clique: Date.parse(String(d.horario_clique_utc)),
            incerteza_ms: d.incerteza_ms,
            agendamentos: d.agendamentos,
            trace_id: d.trace_id,
          },
          {
            cientista_id: loser.id,
            telescopio_id: 'Hubble-Acad',
            inicio: start,
            fim: start + SLOT,
            recursos: [resource(start)],
            motivo: 'slot-taken',
            recebido: clock.now(),
            clique: Date.parse(clique),
            incerteza_ms: 3,
            agendamentos: [won.body.id],
            trace_id: lost.headers['x-request-id'],
          },
        );
        // A request without a click time is recorded as such.
        const bare = await book(loser.token, start);
        assert.equal(bare.status, 409);
        const bareClaims = (await verifyReceipt(bare.body.recibo ?? '', jwks())).claims;
        assert.deepEqual([bareClaims.horario_clique_utc, bareClaims.incerteza_ms], [null, null]);
        await assertInvariants([won.body]);
      });

      test('when 30 scientists race for one slot, then there is 1 concedido and 29 recusado receipts, all verifiable, each tied to its own audit entry', async () => {
        const s = env();
        const people = await Promise.all(Array.from({ length: 30 }, (_, i) => s.scientist(`Corrida ${i}`)));
        const slot = slotAhead(5);
        const responses = await race<Decision>(
          s.url,
          people.map((p) => bookingRequest(p.token, seedIso(slot))),
        );
        assert.deepEqual(countByStatus(responses), { 201: 1, 409: 29 });
        const winner = responses.find((r) => r.status === 201);
        assert.ok(winner);
        const trail = await auditTrailOverHttp(s.url, admin());
        const verified = await Promise.all(
          responses.map(async (r) => {
            assert.equal(
              typeof r.body.recibo,
              'string',
              `response ${r.index} (${r.status}) carries a receipt`,
            );
            const { claims } = await verifyReceipt(r.body.recibo ?? '', jwks());
            await independentlyVerified(r.body.recibo ?? '', jwks());
            return { r, claims };
          }),
        );
        assert.deepEqual(
          countByStatus(verified.map((v) => ({ status: v.claims.resultado === 'concedido' ? 1 : 0 }))),
          { 1: 1, 0: 29 },
        );
        for (const { r, claims } of verified) {
          const person = people[r.index];
          assert.ok(person);
          assert.equal(claims.sub, String(person.id));
          assert.equal(Date.parse(claims.horario_inicio_utc), slot);
          const entry = auditEntryOf(trail, claims.audit_seq);
          assert.equal(entry.hash, claims.audit_hash);
          assert.equal(entry.details.cientista_id, person.id);
          if (r.status === 201) {
            assert.equal(claims.resultado, 'concedido');
            assert.equal(entry.event_type, 'AGENDAMENTO_CRIADO');
            assert.equal(claims.agendamento_id, winner.body.id);
            assert.equal(claims.tokens_fencing?.length, 1);
          } else {
            assert.deepEqual([claims.resultado, claims.motivo], ['recusado', r.body.code]);
            assert.equal(entry.event_type, 'AGENDAMENTO_RECUSADO');
            assert.equal(entry.details.motivo, r.body.code);
          }
        }
        assert.equal(
          new Set(verified.map((v) => v.claims.audit_seq)).size,
          30,
          'one audit entry per decision',
        );
        assert.equal(new Set(verified.map((v) => v.claims.jti)).size, 30, 'one receipt id per decision');
        const refusedEntries = trail.filter(
          (r) =>
            r.event_type === 'AGENDAMENTO_RECUSADO' &&
            Date.parse(String(r.details.horario_inicio_utc)) === slot,
        );
        assert.equal(refusedEntries.length, 29);
        await assertInvariants([winner.body]);
      });

      test('when a decision is replayed with its Idempotency-Key, then the same receipt comes back and nothing new is audited', async () => {
        const s = env();
        const a = await s.scientist('Repete');
        const b = await s.scientist('Repete também');
        const slot = slotAhead(6);
        const keyA = randomUUID();
        const first = await book(a.token, slot, { idempotencyKey: keyA });
        assert.equal(first.status, 201, first.text);
        const keyB = randomUUID();
        const lost = await book(b.token, slot, { idempotencyKey: keyB });
        assert.equal(lost.status, 409, lost.text);
        const entries = (await auditTrailOverHttp(s.url, admin())).length;

        const replayWon = await book(a.token, slot, { idempotencyKey: keyA });
        assert.equal(replayWon.status, 201);
        assert.equal(replayWon.body.recibo, first.body.recibo);
        const replayLost = await book(b.token, slot, { idempotencyKey: keyB });
        assert.equal(replayLost.status, 409);
        assert.equal(replayLost.body.recibo, lost.body.recibo);
        assert.equal((await auditTrailOverHttp(s.url, admin())).length, entries);
        await assertInvariants([first.body]);
      });

      test('a receipt altered in any part, or checked against another key, does not verify', async () => {
        const s = env();
        const scientist = await s.scientist('Falsário');
        const won = await book(scientist.token, slotAhead(7));
        assert.equal(won.status, 201, won.text);
        const receipt = won.body.recibo ?? '';
        const [header = '', payload = '', signature = ''] = receipt.split('.');
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
          string,
          unknown
        >;
        const forgedPayload = Buffer.from(JSON.stringify({ ...claims, sub: '1' })).toString('base64url');
        const flipped = (text: string) =>
          `${text.slice(0, -2)}${text.at(-2) === 'A' ? 'B' : 'A'}${text.slice(-1)}`;
        for (const [name, bad] of [
          ['another subject', `${header}.${forgedPayload}.${signature}`],
          ['a flipped signature', `${header}.${payload}.${flipped(signature)}`],
          ['no signature', `${header}.${payload}.`],
          ['not a JWS', 'recibo'],
        ] as const) {
          await assert.rejects(verifyReceipt(bad, jwks()), ReceiptVerificationError, name);
        }
        const other = ed25519Key();
        const otherJwk = {
          kty: 'OKP' as const,
          crv: 'Ed25519' as const,
          x: other.x,
          kid: jwks().keys[0]?.kid ?? '',
          alg: 'EdDSA' as const,
          use: 'sig' as const,
        };
        await assert.rejects(verifyReceipt(receipt, { keys: [otherJwk] }), ReceiptVerificationError);
        await assert.rejects(independentlyVerified(receipt, { keys: [otherJwk] }));
      });
    });
  }
});
