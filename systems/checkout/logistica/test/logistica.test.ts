import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { createGrpcLogisticaClient, createRestLogisticaClient } from '@dslab/checkout-clients';
import { StatusEnvio, type EnvioValue } from '@dslab/checkout-contracts';
import { createFaker, generateDataset } from '@dslab/checkout-datagen';
import { importOnce, operationsOf } from '@dslab/checkout-kit';
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
import { call, ENGINES, seededRandom } from '@dslab/testing';
import { importLogisticaSeed } from '../src/adapters/seed-import.js';
import { generateCodigoRastreamento } from '../src/domain/rastreamento.js';
import { startLogistica } from './support.js';

const CODIGO = /^BR[1-9][0-9]{8}PY$/;

function envio(pedido_id: number, nota_fiscal_id = pedido_id + 500, nNF = pedido_id + 10) {
  return { pedido_id, nota_fiscal_id, numero_nota_fiscal: `NF${nNF}-${pedido_id}` };
}

/** A random source that answers every draw of `inner` twice: each new dispatch first redraws the code before it. */
function stuttering(inner: () => number): () => number {
  let pending: number | undefined;
  return () => {
    if (pending !== undefined) {
      const value = pending;
      pending = undefined;
      return value;
    }
    pending = inner();
    return pending;
  };
}

for (const engine of ENGINES) {
  describe(`logistica (${engine})`, () => {
    test('when an invoiced order is dispatched, then it is enviado with a BR<9 digits>PY code, dated now, GET-able, with one operacoes row', async (t) => {
      const svc = await startLogistica(engine);
      t.after(() => svc.close());
      const before = Date.now();
      const created = await call<EnvioValue>(svc.httpUrl, 'POST', '/envios', {
        body: { pedido_id: 42, nota_fiscal_id: 7, numero_nota_fiscal: 'NF12-42' },
      });
      assert.equal(created.status, 201, created.text);
      const e = created.body;
      assert.equal(e.pedido_id, 42);
      assert.equal(e.nota_fiscal_id, 7);
      assert.match(e.codigo_rastreamento, CODIGO);
      assert.equal(e.status, 'enviado');
      assert.equal(new Date(e.data_despacho).toISOString(), e.data_despacho);
      assert.ok(Date.parse(e.data_despacho) >= before - 1 && Date.parse(e.data_despacho) <= Date.now() + 1);
      assert.equal(created.headers.location, `/envios/${e.envio_id}`);

      const read = await call<EnvioValue>(svc.httpUrl, 'GET', `/envios/${e.envio_id}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, e);

      const ops = await operationsOf(svc.database.db, 42);
      assert.deepEqual(
        ops.map((o) => [o.operacao, o.mensagem]),
        [['envio_agendado', `Envio agendado para o pedido 42: ${e.codigo_rastreamento} (NF12-42)`]],
      );
      assert.ok(
        svc.lines.some((l) =>
          l.includes(`Envio agendado para o pedido 42: ${e.codigo_rastreamento} (NF12-42)`),
        ),
      );
      const row = await svc.database.db.selectFrom('envios').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.numero_nota_fiscal, 'NF12-42');
    });

    test('when the same order and invoice are dispatched again, then the stored dispatch is answered 200 and nothing is recorded', async (t) => {
      const svc = await startLogistica(engine);
      t.after(() => svc.close());
      const first = await call<EnvioValue>(svc.httpUrl, 'POST', '/envios', { body: envio(42) });
      assert.equal(first.status, 201);
      const again = await call<EnvioValue>(svc.httpUrl, 'POST', '/envios', { body: envio(42) });
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(again.body, first.body);
      assert.equal((await operationsOf(svc.database.db, 42)).length, 1);
      assert.equal((await svc.database.db.selectFrom('envios').selectAll().execute()).length, 1);
    });

    test('when an order is dispatched with another invoice, or an invoice for another order, then 409 conflict and nothing is written', async (t) => {
      const svc = await startLogistica(engine);
      t.after(() => svc.close());
      assert.equal((await call(svc.httpUrl, 'POST', '/envios', { body: envio(42, 7) })).status, 201);
      for (const body of [envio(42, 8), envio(43, 7)]) {
        const response = await call<Problem>(svc.httpUrl, 'POST', '/envios', { body });
        assert.equal(response.status, 409, response.text);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
        assert.equal(response.body.code, 'conflict');
      }
      assert.equal((await svc.database.db.selectFrom('envios').selectAll().execute()).length, 1);
      assert.deepEqual(await operationsOf(svc.database.db, 43), []);
    });

    test('when the input is malformed, mistyped, huge or unknown, then a 4xx problem+json answers, never a 500', async (t) => {
      const svc = await startLogistica(engine);
      t.after(() => svc.close());
      const cases: ProblemCase[] = [
        ...commonProblemCases('/envios', envio(1)),
        {
          name: 'huge id',
          method: 'POST',
          path: '/envios',
          options: {
            rawBody: '{"pedido_id":1e30,"nota_fiscal_id":1,"numero_nota_fiscal":"NF1-1"}',
            headers: { 'content-type': 'application/json' },
          },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: 'missing invoice',
          method: 'POST',
          path: '/envios',
          options: { body: { pedido_id: 1, numero_nota_fiscal: 'NF1-1' } },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: 'invoice number of another order',
          method: 'POST',
          path: '/envios',
          options: { body: { pedido_id: 42, nota_fiscal_id: 7, numero_nota_fiscal: 'NF12-43' } },
          status: 400,
          code: 'validation-failed',
          fields: ['numero_nota_fiscal'],
        },
        {
          name: 'invoice number of another shape',
          method: 'POST',
          path: '/envios',
          options: { body: { pedido_id: 42, nota_fiscal_id: 7, numero_nota_fiscal: 'NF-0012-42' } },
          status: 400,
          code: 'validation-failed',
          fields: ['numero_nota_fiscal'],
        },
        {
          name: 'id 0',
          method: 'GET',
          path: '/envios/0',
          options: {},
          status: 400,
          code: 'validation-failed',
        },
      ];
      await expectProblems(svc.httpUrl, cases);
      assert.equal((await svc.database.db.selectFrom('envios').selectAll().execute()).length, 0);
    });

    test('when 40 calls dispatch one order at once, then one dispatch exists and every caller gets it', async (t) => {
      const svc = await startLogistica(engine);
      t.after(() => svc.close());
      await raceReplays<EnvioValue>(svc.httpUrl, { method: 'POST', path: '/envios', body: envio(77) }, 40);
      assert.equal((await svc.database.db.selectFrom('envios').selectAll().execute()).length, 1);
      assert.equal((await operationsOf(svc.database.db, 77)).length, 1);
    });

    test('when 100 different orders are dispatched at once, then 100 dispatches exist with 100 distinct codes', async (t) => {
      const svc = await startLogistica(engine);
      t.after(() => svc.close());
      await raceCreates(
        svc.httpUrl,
        '/envios',
        Array.from({ length: 100 }, (_, i) => envio(1000 + i)),
      );
      const rows = await svc.database.db.selectFrom('envios').selectAll().execute();
      assert.equal(rows.length, 100);
      assert.equal(new Set(rows.map((r) => r.codigo_rastreamento)).size, 100);
      assert.ok(rows.every((r) => CODIGO.test(r.codigo_rastreamento ?? '')));
      assert.equal(new Set(rows.map((r) => r.pedido_id)).size, 100);
      assert.equal(await operationCount(svc.database, 'envio_agendado'), 100);
    });

    test('when the random source repeats every code once, then each dispatch draws again past the taken code and all codes stay unique', async (t) => {
      const svc = await startLogistica(engine, { random: stuttering(seededRandom(3)) });
      t.after(() => svc.close());
      for (let i = 1; i <= 10; i++)
        assert.equal((await call(svc.httpUrl, 'POST', '/envios', { body: envio(i) })).status, 201);
      const rows = await svc.database.db.selectFrom('envios').selectAll().execute();
      assert.equal(rows.length, 10);
      assert.equal(new Set(rows.map((r) => r.codigo_rastreamento)).size, 10);
      // Every dispatch after the first drew the previous code again, then a free one.
      for (let i = 2; i <= 10; i++) {
        const [op] = await operationsOf(svc.database.db, i);
        assert.equal((op?.detalhes as { codigos_sorteados: number }).codigos_sorteados, 2, `pedido ${i}`);
      }
    });

    test('when 30 dispatches race on a random source that repeats every code, then all 30 end with distinct codes', async (t) => {
      // Racing, one request may collide with each peer that inserted first: 31 draws always suffice.
      const svc = await startLogistica(engine, { random: stuttering(seededRandom(4)), maxCodeTries: 31 });
      t.after(() => svc.close());
      await raceCreates(
        svc.httpUrl,
        '/envios',
        Array.from({ length: 30 }, (_, i) => envio(100 + i)),
      );
      const rows = await svc.database.db.selectFrom('envios').selectAll().execute();
      assert.equal(rows.length, 30);
      assert.equal(new Set(rows.map((r) => r.codigo_rastreamento)).size, 30);
      const draws = await svc.database.db.selectFrom('operacoes').select('detalhes').execute();
      const collisions = draws.reduce(
        (n, r) => n + (JSON.parse(r.detalhes) as { codigos_sorteados: number }).codigos_sorteados - 1,
        0,
      );
      assert.ok(collisions >= 1, 'the repeated codes really collided');
    });

    test('when every code drawn is taken, then the dispatch gives up after 5 draws with 503 and writes nothing', async (t) => {
      const svc = await startLogistica(engine, { random: () => 0.5 });
      t.after(() => svc.close());
      assert.equal((await call(svc.httpUrl, 'POST', '/envios', { body: envio(1) })).status, 201);
      const response = await call<Problem>(svc.httpUrl, 'POST', '/envios', { body: envio(2) });
      assert.equal(response.status, 503, response.text);
      assert.equal(response.body.code, 'unavailable');
      assert.equal((await svc.database.db.selectFrom('envios').selectAll().execute()).length, 1);
      assert.deepEqual(await operationsOf(svc.database.db, 2), []);
    });

    test("when the seed's ecommerce.db is imported twice, then its dispatches are loaded once as they are, a repeated code is replaced, and new ids and codes do not collide", async (t) => {
      const generated = generateDataset(
        createFaker(12),
        { clientes: 10, produtos: 8, pedidos: 80 },
        Date.parse('2025-11-01T00:00:00.000Z'),
      );
      assert.ok(generated.envios.length > 5, 'the sample has dispatches');
      const [e0, e1] = generated.envios;
      assert.ok(e0 !== undefined && e1 !== undefined);
      // A repeated code, as a large file of random codes will hold.
      e1.codigo_rastreamento = e0.codigo_rastreamento;
      const dataset = seedRoundTrip(generated);

      // The service's own random source first draws the seed's first code: it must draw again.
      const firstCode = dataset.envios[0]?.codigo_rastreamento ?? '';
      const seeded = seededRandom(5);
      let drawnFirst = false;
      const random = () => {
        if (!drawnFirst) {
          drawnFirst = true;
          return (Number(firstCode.slice(2, 11)) - 100_000_000 + 0.5) / 900_000_000;
        }
        return seeded();
      };
      assert.equal(
        generateCodigoRastreamento(() => (Number(firstCode.slice(2, 11)) - 100_000_000 + 0.5) / 900_000_000),
        firstCode,
      );
      const svc = await startLogistica(engine, { random });
      t.after(() => svc.close());
      const load = () =>
        importOnce(svc.database.db, 'ecommerce.db', '2025-11-02T00:00:00.000Z', (trx) =>
          importLogisticaSeed(trx, engine, dataset, seededRandom(9)),
        );
      assert.equal(await load(), dataset.envios.length);
      assert.equal(await load(), undefined);

      const rows = await svc.database.db.selectFrom('envios').selectAll().orderBy('id').execute();
      const numeros = new Map(dataset.notas_fiscais.map((n) => [n.id, n.numero]));
      assert.equal(rows.length, dataset.envios.length);
      rows.forEach((row, i) => {
        const seed = dataset.envios[i];
        assert.ok(seed !== undefined);
        assert.deepEqual(
          { ...row, codigo_rastreamento: i === 1 ? seed.codigo_rastreamento : row.codigo_rastreamento },
          { ...seed, numero_nota_fiscal: numeros.get(seed.nota_fiscal_id) ?? null },
        );
      });
      assert.notEqual(rows[1]?.codigo_rastreamento, rows[0]?.codigo_rastreamento);
      assert.match(rows[1]?.codigo_rastreamento ?? '', CODIGO);
      assert.equal(new Set(rows.map((r) => r.codigo_rastreamento)).size, rows.length);

      const novo = await call<EnvioValue>(svc.httpUrl, 'POST', '/envios', { body: envio(100_000) });
      assert.equal(novo.status, 201, novo.text);
      assert.ok(novo.body.envio_id > Math.max(...dataset.envios.map((e) => e.id)));
      assert.notEqual(novo.body.codigo_rastreamento, firstCode);
      assert.equal(
        ((await operationsOf(svc.database.db, 100_000))[0]?.detalhes as { codigos_sorteados: number })
          .codigos_sorteados,
        2,
      );

      // An imported dispatch answers a retry of its order and invoice.
      const imported = dataset.envios[2];
      assert.ok(imported !== undefined);
      const replay = await call<EnvioValue>(svc.httpUrl, 'POST', '/envios', {
        body: {
          pedido_id: imported.pedido_id,
          nota_fiscal_id: imported.nota_fiscal_id,
          numero_nota_fiscal: numeros.get(imported.nota_fiscal_id) ?? '',
        },
      });
      assert.equal(replay.status, 200, replay.text);
      assert.equal(replay.body.codigo_rastreamento, imported.codigo_rastreamento);
    });

    test('over gRPC, AgendarEnvio dispatches and replays, and a proto3 default pedido_id 0 is INVALID_ARGUMENT naming the field', async (t) => {
      const svc = await startLogistica(engine);
      t.after(() => svc.close());
      const request = { pedido_id: 42, nota_fiscal_id: 7, numero_nota_fiscal: 'NF12-42' };
      const e = okResponse(await svc.agendarGrpc(request));
      assert.equal(e.pedido_id, 42);
      assert.equal(e.nota_fiscal_id, 7);
      assert.match(e.codigo_rastreamento, CODIGO);
      assert.equal(e.status, StatusEnvio.STATUS_ENVIO_ENVIADO);
      assert.equal(typeof e.data_despacho, 'string');
      assert.deepEqual(okResponse(await svc.agendarGrpc(request)), e);
      assert.equal((await operationsOf(svc.database.db, 42)).length, 1);

      expectInvalidArgument(await svc.agendarGrpc({ ...request, pedido_id: 0 }), ['pedido_id']);
      const blank = await svc.agendarGrpc({ pedido_id: 43, nota_fiscal_id: 8, numero_nota_fiscal: '' });
      assert.equal(blank.code, GrpcStatus.INVALID_ARGUMENT);
      const taken = await svc.agendarGrpc({
        pedido_id: 43,
        nota_fiscal_id: 7,
        numero_nota_fiscal: 'NF13-43',
      });
      assert.equal(
        taken.code,
        GrpcStatus.ABORTED,
        'an invoice already dispatched for another order is a conflict',
      );
    });

    test("through pedidos' port clients, REST and gRPC answer the same dispatch and the same catalog errors", async (t) => {
      const svc = await startLogistica(engine);
      t.after(() => svc.close());
      await expectTransportsAgree(
        { rest: createRestLogisticaClient(svc.httpUrl), grpc: createGrpcLogisticaClient(svc.grpcAddress) },
        (client, request: ReturnType<typeof envio>, ctx) => client.agendarEnvio(request, ctx),
        {
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          ok: envio(42, 7),
          failures: [
            { request: envio(42, 8), code: 'conflict' },
            {
              request: { pedido_id: 43, nota_fiscal_id: 9, numero_nota_fiscal: 'NF1-44' },
              code: 'validation-failed',
            },
          ],
          log: svc.lines,
        },
      );
      assert.equal((await operationsOf(svc.database.db, 42)).length, 1);
    });
  });
}
