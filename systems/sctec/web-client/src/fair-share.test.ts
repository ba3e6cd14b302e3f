import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  countdownLabel,
  countdownText,
  decodeReceipt,
  esperaStatusText,
  existingEsperaLink,
  isOffer,
  joinLinks,
  quotaOf,
  quotaText,
  receiptFileName,
  receiptSummary,
  sortEsperas,
  type Espera,
} from './fair-share.js';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const receipt = (payload: unknown) =>
  `${base64url({ alg: 'EdDSA', typ: 'sctec-recibo+jwt', kid: 'k' })}.${base64url(payload)}.c2lnbmF0dXJl`;

const espera = (id: number, overrides: Partial<Espera> = {}): Espera => ({
  id,
  telescopio_id: 'Hubble-Acad',
  horario_inicio_utc: '2027-03-01T10:00:00.000Z',
  horario_fim_utc: '2027-03-01T10:05:00.000Z',
  cientista_id: 7,
  status: 'aguardando',
  posicao: 1,
  entrou_em_utc: '2027-02-28T09:00:00.000Z',
  oferta_expira_em_utc: null,
  agendamento_id: null,
  _links: { self: { href: `/esperas/${id}` }, sair: { href: `/esperas/${id}/saida`, method: 'POST' } },
  ...overrides,
});

test('the quota reads as used of allocated, and what remains, in minutes', () => {
  const scientist = {
    id: 7,
    cota: {
      periodo: '2026-12',
      alocados_minutos: 600,
      usados_minutos: 10,
      restantes_minutos: 590,
      padrao: true,
    },
  };
  const cota = quotaOf(scientist);
  assert.ok(cota);
  assert.equal(quotaText(cota), 'Cota 2026-12: 10 de 600 min usados · 590 min restantes');
  assert.equal(quotaOf({ id: 7 }), undefined, 'others see no cota');
  assert.equal(quotaOf({ cota: { periodo: '2026-12' } }), undefined, 'a malformed cota is ignored');
});

test('the hold countdown shows m:ss, rounds up, and never goes below zero', () => {
  assert.equal(countdownText(120_000), '2:00');
  assert.equal(countdownText(61_001), '1:02');
  assert.equal(countdownText(999), '0:01');
  assert.equal(countdownText(0), '0:00');
  assert.equal(countdownText(-5_000), '0:00');
  assert.equal(countdownLabel(65_000), '1 minuto e 5 segundos restantes');
  assert.equal(countdownLabel(-1), 'tempo esgotado');
});

test('an entry is an offer only when offered AND the server gave the viewer its confirmar link', () => {
  const offered = espera(1, {
    status: 'oferecida',
    oferta_expira_em_utc: '2027-02-28T09:02:00.000Z',
    _links: { self: { href: '/esperas/1' }, confirmar: { href: '/esperas/1/confirmacao', method: 'POST' } },
  });
  assert.equal(isOffer(offered), true);
  assert.equal(isOffer({ ...offered, _links: { self: { href: '/esperas/1' } } }), false);
  assert.equal(isOffer(espera(2)), false);
});

test('offers come first (soonest deadline first), then waiting entries by slot', () => {
  const later = espera(3, { horario_inicio_utc: '2027-03-01T11:00:00.000Z' });
  const earlier = espera(4, { horario_inicio_utc: '2027-03-01T09:00:00.000Z' });
  const offer = espera(5, { status: 'oferecida', oferta_expira_em_utc: '2027-02-28T09:02:00.000Z' });
  assert.deepEqual(
    sortEsperas([later, earlier, offer]).map((e) => e.id),
    [5, 4, 3],
  );
  assert.equal(esperaStatusText(espera(1, { posicao: 2 })), 'posição 2 · aguardando');
  assert.equal(esperaStatusText(espera(1, { posicao: null, status: 'expirada' })), 'oferta expirada');
});

test('a refused booking offers its waitlist through entrar_na_fila (an array, or one link)', () => {
  const link = { href: '/telescopios/Hubble-Acad/slots/2027-03-01T10%3A00%3A00.000Z/fila', method: 'POST' };
  assert.deepEqual(joinLinks({ status: 409, code: 'slot-taken', _links: { entrar_na_fila: [link] } }), [
    link,
  ]);
  assert.deepEqual(joinLinks({ status: 409, _links: { entrar_na_fila: link } }), [link]);
  assert.deepEqual(joinLinks({ status: 409, code: 'stale-token' }), []);
  assert.deepEqual(existingEsperaLink({ status: 409, espera: '/esperas/9' }), { href: '/esperas/9' });
  assert.deepEqual(existingEsperaLink({ status: 409, espera: { href: '/esperas/9' } }), {
    href: '/esperas/9',
  });
});

test('a receipt is decoded (not verified) to say what it records, and named for its download', () => {
  const jws = receipt({
    iss: 'servico-agendamento',
    sub: '7',
    resultado: 'concedido',
    telescopio_id: 'Hubble-Acad',
    horario_inicio_utc: '2027-03-01T10:00:00.000Z',
    horario_fim_utc: '2027-03-01T10:05:00.000Z',
    agendamento_id: 12,
    recebido_em_utc: '2027-02-28T09:00:01.250Z',
    audit_seq: 42,
    nome: 'Jörg', // non-ASCII survives the base64url → UTF-8 decoding
  });
  const claims = decodeReceipt(jws);
  assert.equal(claims?.resultado, 'concedido');
  assert.equal((claims as { nome?: string } | undefined)?.nome, 'Jörg');
  assert.equal(receiptFileName(claims), 'recibo-Hubble-Acad-20270301T1000Z-concedido.jwt');
  assert.equal(
    receiptSummary(claims),
    'Concedido (agendamento nº 12): Hubble-Acad 10:00–10:05 UTC. Pedido recebido às 09:00:01.250 UTC. Registro de auditoria nº 42.',
  );
  const lost = decodeReceipt(receipt({ resultado: 'recusado', motivo: 'slot-taken', audit_seq: 43 }));
  assert.match(receiptSummary(lost), /^Recusado \(horário já reservado por outro cientista\)/);
  assert.equal(decodeReceipt('not-a-jws'), undefined);
  assert.equal(decodeReceipt('a.!!!.c'), undefined);
  assert.equal(receiptFileName(undefined), 'recibo.jwt');
});
