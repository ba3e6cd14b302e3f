import { idParams, type TimeoutSettings } from '@dslab/checkout-kit';
import { callContextFromRequest, problemResponses, type HttpApp } from '@dslab/http-kit';
import { Type } from 'typebox';
import type { CatalogoService } from '../application/catalogo-service.js';
import { MAX_IDS } from '../domain/ids.js';
import { DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET } from '../domain/query.js';

export type { TimeoutSettings } from '@dslab/checkout-kit';

const ProdutoInfoSchema = Type.Object({
  id: Type.Integer(),
  nome: Type.String(),
  estoque: Type.Integer({ description: 'units available now (read from estoque)' }),
  preco_centavos: Type.Integer({ description: 'unit price, integer centavos' }),
});

const ProdutoPrecoSchema = Type.Object({
  id: Type.Integer(),
  nome: Type.String(),
  preco_centavos: Type.Integer({ description: 'unit price, integer centavos' }),
});

/**
 * Documented for OpenAPI only: each value is checked by the domain's validateCatalogoQuery
 * (strict integers, unknown parameters refused), so every query error reads the same.
 */
const ListQuery = Type.Object({
  disponivel: Type.Optional(
    Type.String({
      description: '"true": only products in stock; "false": only products without; absent: all',
    }),
  ),
  limit: Type.Optional(
    Type.String({ description: `page size, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})` }),
  ),
  offset: Type.Optional(Type.String({ description: `products to skip, 0 to ${MAX_OFFSET} (ordered by id)` })),
});

const ConsultaBody = Type.Object(
  { ids: Type.Array(Type.Integer(), { description: `1 to ${MAX_IDS} product ids` }) },
  { additionalProperties: false },
);

/** catalogo's REST resources (docs/checkout.md): the listing, one product, and the pricing query. */
export function registerCatalogoRoutes(
  app: HttpApp,
  service: CatalogoService,
  timeouts: TimeoutSettings,
): void {
  app.get(
    '/produtos',
    {
      schema: {
        summary: "List the products with their live stock and price (the seed's JSON array)",
        description:
          'Ordered by id; `X-Total-Count` is the number of products matching the filter before paging. ' +
          'Answers 503/504 when estoque cannot tell the stock.',
        tags: ['catalogo'],
        querystring: ListQuery,
        response: {
          200: Type.Array(ProdutoInfoSchema),
          ...problemResponses(400, 503, 504),
        },
      },
    },
    async (request, reply) => {
      const ctx = callContextFromRequest(request, timeouts);
      const { produtos, total } = await service.listar(request.query, ctx);
      return reply.header('x-total-count', String(total)).send(produtos);
    },
  );

  app.get(
    '/produtos/:id',
    {
      schema: {
        summary: 'One product with its live stock and price',
        tags: ['catalogo'],
        params: idParams(),
        response: { 200: ProdutoInfoSchema, ...problemResponses(400, 404, 503, 504) },
      },
    },
    async (request) => service.obterProduto(request.params.id, callContextFromRequest(request, timeouts)),
  );

  app.post(
    '/produtos/consulta',
    {
      schema: {
        summary: 'Names and prices of the given products (what pedidos prices an order with)',
        description: 'Unknown ids are absent from the answer; the answer is ordered by id.',
        tags: ['catalogo'],
        body: ConsultaBody,
        response: { 200: Type.Array(ProdutoPrecoSchema), ...problemResponses(400, 413, 415, 503, 504) },
      },
    },
    async (request) => service.obterProdutos(request.body.ids, callContextFromRequest(request, timeouts)),
  );
}
