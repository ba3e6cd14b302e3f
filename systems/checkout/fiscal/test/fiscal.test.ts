import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { createGrpcFiscalClient, createRestFiscalClient } from '@dslab/checkout-clients';
import type { NotaFiscalValue } from '@dslab/checkout-contracts';
import { createFaker, generateDataset } from '@dslab/checkout-datagen';
import { importOnce, operationsOf, reaisFromSeed } from '@dslab/checkout-kit';
import {
  commonProblemCases,
  expectInvalidArgument,
  expectProblems,
  expectTransportsAgree,
  okResponse,
  operationCount,
  raceCreates,
  raceReplays,
  seedRoundTrip,
  type Problem,
  type ProblemCase,
} from '@dslab/checkout-kit/testing';
import { call, ENGINES } from '@dslab/testing';
import { importFiscalSeed } from '../src/adapters/seed-import.js';
import { hasValidCheckDigit, MAX_NUMERO_NF, parseChaveAcesso } from '../src/domain/chave-acesso.js';
import { parseNumeroNf } from '../src/domain/numero.js';
import { startFiscal } from './support.js';

const ITENS = [
  { produto_id: 1, quantidade: 2, preco_unitario_centavos: 1050 },
  { produto_id: 7, quantidade: 1, preco_unitario_centavos: 10245 },
];
/** 2 × 10,50 + 102,45 = R$ 123,45 */
const TOTAL = 12345;

function pedido(pedido_id: number, valor_centavos = TOTAL, itens = ITENS) {
  return { pedido_id, valor_centavos, itens };
}

/** A one-line order whose total is `centavos`. */
function pedidoDeValor(pedido_id: number, centavos: number) {
  return pedido(pedido_id, centavos, [{ produto_id: 3, quantidade: 1, preco_unitario_centavos: centavos }]);
}

for (const engine of ENGINES) {
  describe(`fiscal (${engine})`, () => {
    test('when an order is invoiced, then it gets NF<nNF>-<pedido>, a 44-digit key with a valid check digit, a GET-able resource and one operacoes row', async (t) => {
      const svc = await startFiscal(engine);
      t.after(() => svc.close());
      const created = await call<NotaFiscalValue>(svc.httpUrl, 'POST', '/notas-fiscais', {
        body: pedido(42),
      });
      assert.equal(created.status, 201, created.text);
      const nota = created.body;
      assert.equal(nota.pedido_id, 42);
      assert.equal(nota.valor_centavos, TOTAL);
      assert.match(nota.numero, /^NF[1-9][0-9]*-42$/);
      assert.equal(nota.numero, 'NF1-42', 'the first number of a fresh série is 1');
      assert.match(nota.chave_acesso, /^[0-9]{44}$/);
      assert.equal(hasValidCheckDigit(nota.chave_acesso), true);
      const partes = parseChaveAcesso(nota.chave_acesso);
      assert.ok(partes.ok, JSON.stringify(partes));
      assert.equal(partes.value.cUF, 35);
      assert.equal(partes.value.cnpj, '11444777000161');
      assert.equal(partes.value.modelo, '55');
      assert.equal(partes.value.serie, 1);
      assert.equal(partes.value.nNF, 1);
      assert.equal(partes.value.tpEmis, 1);
      const emitida = new Date(nota.data_emissao);
      assert.equal(nota.data_emissao, emitida.toISOString());
      assert.equal(partes.value.ano, emitida.getUTCFullYear());
      assert.equal(partes.value.mes, emitida.getUTCMonth() + 1);
      assert.equal(created.headers.location, `/notas-fiscais/${nota.nota_fiscal_id}`);

      const read = await call<NotaFiscalValue>(svc.httpUrl, 'GET', `/notas-fiscais/${nota.nota_fiscal_id}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, nota);

      const ops = await operationsOf(svc.database.db, 42);
      assert.deepEqual(
        ops.map((o) => [o.operacao, o.mensagem]),
        [['nota_fiscal_emitida', 'Nota fiscal NF1-42 emitida para o pedido 42 (R$ 123,45)']],
      );
      assert.ok(svc.lines.some((l) => l.includes('Nota fiscal NF1-42 emitida para o pedido 42 (R$ 123,45)')));
      const row = await svc.database.db.selectFrom('notas_fiscais').selectAll().executeTakeFirstOrThrow();
      assert.deepEqual(
        { serie: row.serie, nnf: row.nnf, itens: JSON.parse(row.itens ?? 'null') as unknown },
        { serie: 1, nnf: 1, itens: ITENS },
      );
    });

    test('when the clock says 2031-02, then the key carries AAMM 3102 and the configured UF, CNPJ and série', async (t) => {
      const svc = await startFiscal(engine, {
        now: () => Date.parse('2031-02-14T12:00:00.000Z'),
        emitente: { cUF: 52, cnpj: '11.222.333/0001-81', serie: 12 },
      });
      t.after(() => svc.close());
      const created = await call<NotaFiscalValue>(svc.httpUrl, 'POST', '/notas-fiscais', { body: pedido(5) });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.data_emissao, '2031-02-14T12:00:00.000Z');
      assert.equal(created.body.chave_acesso.slice(0, 25), '52' + '3102' + '11222333000181' + '55' + '012');
      assert.equal(hasValidCheckDigit(created.body.chave_acesso), true);
    });

    test('when the same order is invoiced again with the same total, then the stored invoice is answered 200 and nothing new is numbered or recorded', async (t) => {
      const svc = await startFiscal(engine);
      t.after(() => svc.close());
      const first = await call<NotaFiscalValue>(svc.httpUrl, 'POST', '/notas-fiscais', { body: pedido(42) });
      assert.equal(first.status, 201);
      // Another split of the same total is still the same invoice.
      const again = await call<NotaFiscalValue>(svc.httpUrl, 'POST', '/notas-fiscais', {
        body: pedidoDeValor(42, TOTAL),
      });
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(again.body, first.body);
      assert.equal((await operationsOf(svc.database.db, 42)).length, 1);
      const serie = await svc.database.db.selectFrom('series').selectAll().execute();
      assert.deepEqual(serie, [{ serie: 1, ultimo_nnf: 1 }]);
    });

    test('when the same order is invoiced again with another total, then 409 conflict names the existing invoice', async (t) => {
      const svc = await startFiscal(engine);
      t.after(() => svc.close());
      assert.equal((await call(svc.httpUrl, 'POST', '/notas-fiscais', { body: pedido(42) })).status, 201);
      const other = await call<Problem & { numero: string }>(svc.httpUrl, 'POST', '/notas-fiscais', {
        body: pedidoDeValor(42, TOTAL + 1),
      });
      assert.equal(other.status, 409, other.text);
      assert.match(String(other.headers['content-type']), /^application\/problem\+json/);
      assert.equal(other.body.code, 'conflict');
      assert.equal(other.body.numero, 'NF1-42');
      assert.equal((await svc.database.db.selectFrom('notas_fiscais').selectAll().execute()).length, 1);
    });

    test('when the total is not Σ quantidade × preço of the lines, then 400 validation-failed names valor_centavos and nothing is issued', async (t) => {
      const svc = await startFiscal(engine);
      t.after(() => svc.close());
      const response = await call<Problem>(svc.httpUrl, 'POST', '/notas-fiscais', {
        body: pedido(42, TOTAL - 1),
      });
      assert.equal(response.status, 400, response.text);
      assert.equal(response.body.code, 'validation-failed');
      assert.deepEqual(
        response.body.errors?.map((e) => e.field),
        ['valor_centavos'],
      );
      assert.match(response.body.detail, /12345/);
      assert.equal((await svc.database.db.selectFrom('notas_fiscais').selectAll().execute()).length, 0);
      assert.deepEqual(await operationsOf(svc.database.db, 42), []);
    });

    test('when the input is malformed, mistyped, huge or unknown, then a 4xx problem+json answers, never a 500', async (t) => {
      const svc = await startFiscal(engine);
      t.after(() => svc.close());
      const cases: ProblemCase[] = [
        ...commonProblemCases('/notas-fiscais', pedido(1)),
        {
          name: 'pedido_id 0',
          method: 'POST',
          path: '/notas-fiscais',
          options: { body: pedido(0) },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: 'huge valor',
          method: 'POST',
          path: '/notas-fiscais',
          options: {
            rawBody:
              '{"pedido_id":1,"valor_centavos":1e30,"itens":[{"produto_id":1,"quantidade":1,"preco_unitario_centavos":1e30}]}',
            headers: { 'content-type': 'application/json' },
          },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: 'huge line total',
          method: 'POST',
          path: '/notas-fiscais',
          options: {
            body: pedido(1, 0, [{ produto_id: 1, quantidade: 2_000_000, preco_unitario_centavos: 2 ** 52 }]),
          },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: 'no lines',
          method: 'POST',
          path: '/notas-fiscais',
          options: { body: pedido(1, 0, []) },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: '51 lines',
          method: 'POST',
          path: '/notas-fiscais',
          options: {
            body: pedido(
              1,
              51,
              Array.from({ length: 51 }, (_, i) => ({
                produto_id: i + 1,
                quantidade: 1,
                preco_unitario_centavos: 1,
              })),
            ),
          },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: 'negative price',
          method: 'POST',
          path: '/notas-fiscais',
          options: { body: pedido(1, -1, [{ produto_id: 1, quantidade: 1, preco_unitario_centavos: -1 }]) },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: 'id past int32',
          method: 'GET',
          path: '/notas-fiscais/99999999999999999999',
          options: {},
          status: 400,
          code: 'validation-failed',
        },
      ];
      await expectProblems(svc.httpUrl, cases);
      assert.equal((await svc.database.db.selectFrom('notas_fiscais').selectAll().execute()).length, 0);
    });

    test('when 100 different orders are invoiced at once, then they get exactly the numbers 1..100, each once, each with its operacoes row', async (t) => {
      const svc = await startFiscal(engine);
      t.after(() => svc.close());
      await raceCreates(
        svc.httpUrl,
        '/notas-fiscais',
        Array.from({ length: 100 }, (_, i) => pedido(1000 + i)),
      );
      const rows = await svc.database.db.selectFrom('notas_fiscais').selectAll().orderBy('nnf').execute();
      assert.equal(rows.length, 100);
      assert.deepEqual(
        rows.map((r) => r.nnf),
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      assert.equal(new Set(rows.map((r) => r.numero)).size, 100);
      assert.equal(new Set(rows.map((r) => r.chave_acesso)).size, 100);
      for (const r of rows) {
        assert.equal(r.numero, `NF${r.nnf}-${r.pedido_id}`);
        assert.equal(parseChaveAcesso(r.chave_acesso ?? '').ok, true, r.chave_acesso ?? '');
      }
      assert.deepEqual(await svc.database.db.selectFrom('series').selectAll().execute(), [
        { serie: 1, ultimo_nnf: 100 },
      ]);
      assert.equal(await operationCount(svc.database, 'nota_fiscal_emitida'), 100);
    });

    test('when 40 calls invoice one order at once, then one invoice exists, every caller gets it, and the série moved by one', async (t) => {
      const svc = await startFiscal(engine);
      t.after(() => svc.close());
      await raceReplays<NotaFiscalValue>(
        svc.httpUrl,
        { method: 'POST', path: '/notas-fiscais', body: pedido(77) },
        40,
      );
      assert.equal((await svc.database.db.selectFrom('notas_fiscais').selectAll().execute()).length, 1);
      assert.deepEqual(await svc.database.db.selectFrom('series').selectAll().execute(), [
        { serie: 1, ultimo_nnf: 1 },
      ]);
      assert.equal((await operationsOf(svc.database.db, 77)).length, 1);
      // The next order takes number 2: no number was burnt by the 39 twins.
      const next = await call<NotaFiscalValue>(svc.httpUrl, 'POST', '/notas-fiscais', { body: pedido(78) });
      assert.equal(next.body.numero, 'NF2-78');
    });

    test('when the série has used 999 999 999, then the next invoice is refused with 409 and nothing changes', async (t) => {
      const svc = await startFiscal(engine);
      t.after(() => svc.close());
      await svc.database.db.insertInto('series').values({ serie: 1, ultimo_nnf: MAX_NUMERO_NF }).execute();
      const response = await call<Problem>(svc.httpUrl, 'POST', '/notas-fiscais', { body: pedido(42) });
      assert.equal(response.status, 409, response.text);
      assert.equal(response.body.code, 'conflict');
      assert.equal(response.body.detail, 'série de notas fiscais esgotada');
      assert.deepEqual(await svc.database.db.selectFrom('series').selectAll().execute(), [
        { serie: 1, ultimo_nnf: MAX_NUMERO_NF },
      ]);
      assert.equal((await svc.database.db.selectFrom('notas_fiscais').selectAll().execute()).length, 0);
      assert.deepEqual(await operationsOf(svc.database.db, 42), []);
    });

    test("when the seed's ecommerce.db is imported twice, then its invoices are loaded once, as they are, and new numbers start after the largest imported one", async (t) => {
      const dataset = seedRoundTrip(
        generateDataset(
          createFaker(11),
          { clientes: 10, produtos: 8, pedidos: 80 },
          Date.parse('2025-11-01T00:00:00.000Z'),
        ),
      );
      assert.ok(dataset.notas_fiscais.length > 5, 'the sample has invoices');
      const svc = await startFiscal(engine);
      t.after(() => svc.close());
      const load = () =>
        importOnce(svc.database.db, 'ecommerce.db', '2025-11-02T00:00:00.000Z', (trx) =>
          importFiscalSeed(trx, engine, dataset, 1),
        );
      assert.equal(await load(), dataset.notas_fiscais.length);
      assert.equal(await load(), undefined);
      const rows = await svc.database.db.selectFrom('notas_fiscais').selectAll().orderBy('id').execute();
      const totals = new Map(dataset.pedidos.map((p) => [p.id, p.valor_total]));
      assert.deepEqual(
        rows.map((r) => ({
          id: r.id,
          pedido_id: r.pedido_id,
          numero: r.numero,
          data_emissao: r.data_emissao,
          chave_acesso: r.chave_acesso,
          valor_centavos: r.valor_centavos,
          nnf: r.nnf,
        })),
        dataset.notas_fiscais.map((n) => ({
          ...n,
          valor_centavos: reaisFromSeed(totals.get(n.pedido_id) ?? 0),
          nnf: null,
        })),
      );
      const largest = Math.max(...dataset.notas_fiscais.map((n) => parseNumeroNf(n.numero)?.nNF ?? 0));
      assert.deepEqual(await svc.database.db.selectFrom('series').selectAll().execute(), [
        { serie: 1, ultimo_nnf: largest },
      ]);

      const novo = await call<NotaFiscalValue>(svc.httpUrl, 'POST', '/notas-fiscais', {
        body: pedido(100_000),
      });
      assert.equal(novo.status, 201, novo.text);
      assert.equal(novo.body.numero, `NF${largest + 1}-100000`);
      assert.ok(novo.body.nota_fiscal_id > Math.max(...dataset.notas_fiscais.map((n) => n.id)));

      // An imported invoice answers a retry of its order with the same total.
      const imported = dataset.notas_fiscais[0];
      assert.ok(imported !== undefined);
      const valor = reaisFromSeed(totals.get(imported.pedido_id) ?? 0);
      const replay = await call<NotaFiscalValue>(svc.httpUrl, 'POST', '/notas-fiscais', {
        body: pedidoDeValor(imported.pedido_id, valor),
      });
      assert.equal(replay.status, 200, replay.text);
      assert.equal(replay.body.numero, imported.numero);
    });

    test('over gRPC, EmitirNotaFiscal issues and replays the invoice, and a proto3 default pedido_id 0 is INVALID_ARGUMENT naming the field', async (t) => {
      const svc = await startFiscal(engine);
      t.after(() => svc.close());
      const request = { pedido_id: 42, valor_centavos: TOTAL, itens: ITENS };
      const nota = okResponse(await svc.emitirGrpc(request));
      assert.equal(nota.pedido_id, 42);
      assert.equal(nota.numero, 'NF1-42');
      assert.equal(nota.valor_centavos, TOTAL);
      assert.equal(hasValidCheckDigit(nota.chave_acesso), true);
      assert.equal(typeof nota.data_emissao, 'string');
      assert.deepEqual(okResponse(await svc.emitirGrpc(request)), nota);
      assert.equal((await operationsOf(svc.database.db, 42)).length, 1);

      expectInvalidArgument(await svc.emitirGrpc({ pedido_id: 0, valor_centavos: TOTAL, itens: ITENS }), [
        'pedido_id',
      ]);
      const badTotal = await svc.emitirGrpc({ pedido_id: 43, valor_centavos: 1, itens: ITENS });
      assert.equal(badTotal.code, GrpcStatus.INVALID_ARGUMENT);
      const otherTotal = await svc.emitirGrpc({
        pedido_id: 42,
        valor_centavos: 1,
        itens: [{ produto_id: 1, quantidade: 1, preco_unitario_centavos: 1 }],
      });
      assert.equal(otherTotal.code, GrpcStatus.ABORTED, 'another total for the order is a conflict');
    });

    test("through pedidos' port clients, REST and gRPC answer the same invoice and the same catalog errors", async (t) => {
      const svc = await startFiscal(engine);
      t.after(() => svc.close());
      await expectTransportsAgree(
        { rest: createRestFiscalClient(svc.httpUrl), grpc: createGrpcFiscalClient(svc.grpcAddress) },
        (client, request: ReturnType<typeof pedido>, ctx) => client.emitir(request, ctx),
        {
          traceId: '0af7651916cd43dd8448eb211c80319c',
          ok: pedido(42),
          failures: [
            { request: pedidoDeValor(42, 1), code: 'conflict' },
            { request: pedido(43, 1), code: 'validation-failed' },
          ],
          log: svc.lines,
        },
      );
      assert.equal((await operationsOf(svc.database.db, 42)).length, 1);
    });
  });
}
