import { idParams, idSchema, sendOutcome, type TimeoutSettings } from '@dslab/checkout-kit';
import { callContextFromRequest, problemResponses, type HttpApp } from '@dslab/http-kit';
import { Type } from 'typebox';
import type { FiscalService } from '../application/fiscal-service.js';
import { MAX_ITENS, MAX_QUANTIDADE } from '../domain/emissao.js';

export type { TimeoutSettings } from '@dslab/checkout-kit';

const Centavos = (description: string) =>
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });

const ItemBody = Type.Object(
  {
    produto_id: idSchema('product id (catalogo)'),
    quantidade: Type.Integer({ minimum: 1, maximum: MAX_QUANTIDADE, description: 'units of the line' }),
    preco_unitario_centavos: Centavos('unit price fixed when the order was created, integer centavos'),
  },
  { additionalProperties: false },
);

const EmitirBody = Type.Object(
  {
    pedido_id: idSchema('the order; one invoice per order'),
    valor_centavos: Centavos(
      'the total, integer centavos: must equal Σ quantidade × preco_unitario_centavos',
    ),
    itens: Type.Array(ItemBody, { minItems: 1, maxItems: MAX_ITENS, description: `1 to ${MAX_ITENS} lines` }),
  },
  { additionalProperties: false },
);

export const NotaFiscalSchema = Type.Object({
  nota_fiscal_id: Type.Integer(),
  pedido_id: Type.Integer(),
  numero: Type.String({ description: 'NF<nNF>-<pedido_id>' }),
  chave_acesso: Type.String({ description: '44 digits, the last a modulo-11 check digit' }),
  data_emissao: Type.String({ description: 'UTC ISO-8601' }),
  valor_centavos: Type.Integer({ description: 'integer centavos' }),
});

/** The REST resources of fiscal (docs/checkout.md): issue an order's invoice, read one. */
export function registerFiscalRoutes(app: HttpApp, service: FiscalService, timeouts: TimeoutSettings): void {
  app.post(
    '/notas-fiscais',
    {
      schema: {
        summary: "Issue an order's nota fiscal (one per order; a retry with the same total returns it)",
        description:
          'Numbers are gap-free on the configured série; the chave de acesso has 44 digits with a modulo-11 check digit. ' +
          'A second call for the order with the same total answers 200 with the stored invoice; another total answers 409.',
        tags: ['notas-fiscais'],
        body: EmitirBody,
        response: {
          200: NotaFiscalSchema,
          201: NotaFiscalSchema,
          ...problemResponses(400, 409, 413, 415, 503, 504),
        },
      },
    },
    async (request, reply) => {
      const { nota, replayed } = await service.emitirNotaFiscal(
        request.body,
        callContextFromRequest(request, timeouts),
      );
      return sendOutcome(reply, { value: nota, replayed }, `/notas-fiscais/${nota.nota_fiscal_id}`);
    },
  );

  app.get(
    '/notas-fiscais/:id',
    {
      schema: {
        summary: 'Read a nota fiscal',
        tags: ['notas-fiscais'],
        params: idParams('id', 'nota_fiscal_id'),
        response: { 200: NotaFiscalSchema, ...problemResponses(400, 404, 503, 504) },
      },
    },
    async (request) => service.obterNotaFiscal(request.params.id, callContextFromRequest(request, timeouts)),
  );
}
