import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_ID, parseNumeroNotaFiscal, validateAgendamentoRequest } from './agendamento.js';

function fields(input: unknown): string[] {
  const result = validateAgendamentoRequest(input);
  assert.ok(!result.ok, 'expected a refusal');
  return result.errors.map((e) => e.field);
}

describe('validateAgendamentoRequest', () => {
  test('when the invoice number names this order, then the request is accepted with only its known fields', () => {
    assert.deepEqual(
      validateAgendamentoRequest({ pedido_id: 42, nota_fiscal_id: 7, numero_nota_fiscal: 'NF12-42', x: 1 }),
      {
        ok: true,
        value: { pedido_id: 42, nota_fiscal_id: 7, numero_nota_fiscal: 'NF12-42' },
      },
    );
  });

  test('numbers written by the seed’s generator (NF<5 digits>-<pedido>) are accepted', () => {
    assert.equal(
      validateAgendamentoRequest({ pedido_id: 7, nota_fiscal_id: 3, numero_nota_fiscal: 'NF54321-7' }).ok,
      true,
    );
  });

  test('when the invoice number belongs to another order, then it is refused and says whose it is', () => {
    const result = validateAgendamentoRequest({
      pedido_id: 42,
      nota_fiscal_id: 7,
      numero_nota_fiscal: 'NF12-43',
    });
    assert.ok(!result.ok);
    assert.deepEqual(result.errors, [
      {
        field: 'numero_nota_fiscal',
        reason: 'numero_nota_fiscal NF12-43 belongs to pedido 43, not to pedido 42',
      },
    ]);
  });

  test('when the invoice number has another shape, then it is refused', () => {
    for (const bad of ['', 'NF0-42', 'NF012-42', 'nf12-42', 'NF12-42 ', 'NF-42', 'NF1000000000-42', 12])
      assert.deepEqual(
        fields({ pedido_id: 42, nota_fiscal_id: 7, numero_nota_fiscal: bad }),
        ['numero_nota_fiscal'],
        String(bad),
      );
  });

  test('when the ids are 0 (a proto3 default), negative, fractional, too big or text, then each is refused by name', () => {
    for (const bad of [0, -1, 2.5, MAX_ID + 1, '7', null]) {
      assert.deepEqual(
        fields({ pedido_id: bad, nota_fiscal_id: 7, numero_nota_fiscal: 'NF12-42' }),
        ['pedido_id'],
        String(bad),
      );
      assert.deepEqual(
        fields({ pedido_id: 42, nota_fiscal_id: bad, numero_nota_fiscal: 'NF12-42' }),
        ['nota_fiscal_id'],
        String(bad),
      );
    }
  });

  test('when everything is missing, then every field is reported; a non-object is refused as a whole', () => {
    assert.deepEqual(fields({}), ['pedido_id', 'nota_fiscal_id', 'numero_nota_fiscal']);
    for (const bad of [null, [], 'x']) assert.deepEqual(fields(bad), ['']);
  });

  test('parseNumeroNotaFiscal reads the nNF and the order', () => {
    assert.deepEqual(parseNumeroNotaFiscal('NF780-42'), { nNF: 780, pedido_id: 42 });
    assert.equal(parseNumeroNotaFiscal('NF780'), undefined);
  });
});
