import { callContextFromRequest, problemResponses, type HttpApp } from '@dslab/http-kit';
import { sendOutcome, validationFailed, type TimeoutSettings } from '@dslab/checkout-kit';
import { Type } from 'typebox';
import type { EstoqueService } from '../application/estoque-service.js';
import {
  MAX_CONSULTA_IDS,
  MAX_ID,
  MAX_ITENS,
  MAX_MOTIVO,
  MAX_QUANTIDADE,
  parseProdutoIdsParam,
} from '../domain/request.js';

const ItemSchema = Type.Object(
  {
    produto_id: Type.Integer({ description: `product id, 1 to ${MAX_ID}` }),
    quantidade: Type.Integer({ description: `units, 1 to ${MAX_QUANTIDADE}` }),
  },
  { additionalProperties: false },
);

const SepararBody = Type.Object(
  {
    pedido_id: Type.Integer({ description: `order id, 1 to ${MAX_ID}; one reservation per order` }),
    itens: Type.Array(ItemSchema, {
      description: `1 to ${MAX_ITENS} lines; lines of the same product are summed`,
    }),
  },
  { additionalProperties: false },
);

const LiberarBody = Type.Object(
  {
    pedido_id: Type.Integer({ description: `order id, 1 to ${MAX_ID}` }),
    motivo: Type.Optional(
      Type.String({ description: `why (kept with the release), at most ${MAX_MOTIVO} characters` }),
    ),
  },
  { additionalProperties: false },
);

const SeparacaoSchema = Type.Object({
  pedido_id: Type.Integer(),
  status: Type.Union([Type.Literal('separado'), Type.Literal('liberado')]),
  itens: Type.Array(Type.Object({ produto_id: Type.Integer(), quantidade: Type.Integer() }), {
    description: 'held (separar) or given back by this call (liberar), ascending produto_id',
  }),
  mensagem: Type.String(),
});

const SaldosSchema = Type.Array(
  Type.Object({ produto_id: Type.Integer(), quantidade_disponivel: Type.Integer() }),
);

const SaldosQuery = Type.Object(
  {
    produto_ids: Type.Optional(
      Type.String({
        description: `comma-separated product ids, at most ${MAX_CONSULTA_IDS}; absent: every product`,
      }),
    ),
  },
  { additionalProperties: false },
);

export type { TimeoutSettings } from '@dslab/checkout-kit';

/** estoque's REST resources (docs/checkout.md): separar, liberar and the stock query. */
export function registerEstoqueRoutes(
  app: HttpApp,
  service: EstoqueService,
  timeouts: TimeoutSettings,
): void {
  app.post(
    '/estoque/separar',
    {
      schema: {
        summary: "Reserve every line of an order, or none (the checkout's stock step)",
        description:
          'Idempotent per pedido_id: the same items again answer 200 with the stored reservation. ' +
          '409 `insufficient-stock` lists every short product in `faltas`; 409 `reservation-conflict` ' +
          'when the order holds other items or its stock was already released.',
        tags: ['estoque'],
        body: SepararBody,
        response: {
          200: SeparacaoSchema,
          201: SeparacaoSchema,
          ...problemResponses(400, 409, 413, 415, 503, 504),
        },
      },
    },
    async (request, reply) => {
      const ctx = callContextFromRequest(request, timeouts);
      return sendOutcome(reply, await service.reserve(request.body, ctx));
    },
  );

  app.post(
    '/estoque/liberar',
    {
      schema: {
        summary: "Give back what an order still holds (the checkout's compensation)",
        description:
          'Idempotent: a second release gives nothing back. Releasing an order that holds nothing ' +
          'records it, so a late separar for that order is refused.',
        tags: ['estoque'],
        body: LiberarBody,
        response: { 200: SeparacaoSchema, ...problemResponses(400, 413, 415, 503, 504) },
      },
    },
    async (request) => {
      const ctx = callContextFromRequest(request, timeouts);
      return (await service.release(request.body, ctx)).value;
    },
  );

  app.get(
    '/estoque',
    {
      schema: {
        summary: 'Units available of some products (all products without produto_ids)',
        tags: ['estoque'],
        querystring: SaldosQuery,
        response: { 200: SaldosSchema, ...problemResponses(400, 503, 504) },
      },
    },
    async (request) => {
      const ctx = callContextFromRequest(request, timeouts);
      const ids = parseProdutoIdsParam(request.query.produto_ids);
      if (!ids.ok)
        throw validationFailed(
          ids.errors.map((e) => ({ field: `querystring.${e.field}`, reason: e.reason })),
        );
      return service.consultar(ids.value, ctx);
    },
  );
}
