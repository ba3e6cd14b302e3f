import { METODO_PAGAMENTO_VALUES, PAGAMENTO_STATUS_VALUES } from '@dslab/checkout-contracts';
import { idParams, idSchema, sendOutcome, stringEnum, type TimeoutSettings } from '@dslab/checkout-kit';
import { callContextFromRequest, problemResponses, type HttpApp } from '@dslab/http-kit';
import { Type } from 'typebox';
import type { PagamentosService } from '../application/pagamentos-service.js';
import { MAX_MOTIVO_LENGTH } from '../domain/request.js';

export type { TimeoutSettings } from '@dslab/checkout-kit';

const Metodo = stringEnum(METODO_PAGAMENTO_VALUES, 'payment method');
const Status = stringEnum(PAGAMENTO_STATUS_VALUES, 'aprovado, rejeitado or estornado');

const PagamentoBody = Type.Object(
  {
    pedido_id: idSchema('order id'),
    valor_centavos: Type.Integer({
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'amount to charge in integer centavos (R$ 1.234,56 is 123456)',
    }),
    metodo: Type.Optional(stringEnum(METODO_PAGAMENTO_VALUES, 'payment method; default cartao_credito')),
  },
  { additionalProperties: false },
);

const EstornoBody = Type.Object(
  {
    motivo: Type.String({
      minLength: 1,
      maxLength: MAX_MOTIVO_LENGTH,
      description: 'why the payment is refunded (kept with the refund)',
    }),
  },
  { additionalProperties: false },
);

export const PagamentoSchema = Type.Object({
  pagamento_id: Type.Integer(),
  pedido_id: Type.Integer(),
  sucesso: Type.Boolean({ description: 'true only when status is aprovado' }),
  status: Status,
  mensagem: Type.String(),
  valor_centavos: Type.Integer({ description: 'integer centavos' }),
  metodo: Metodo,
  data_processamento: Type.String({ description: 'UTC ISO-8601' }),
});

export const EstornoSchema = Type.Object({
  pedido_id: Type.Integer(),
  status: Status,
  mensagem: Type.String(),
});

const PedidoParams = idParams('pedido_id');
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ description: 'makes a retry return the stored payment (1–255 visible ASCII characters)' }),
  ),
});

/** The REST resources of pagamentos (docs/checkout.md), over the same service as gRPC. */
export function registerPagamentosRoutes(
  app: HttpApp,
  service: PagamentosService,
  timeouts: TimeoutSettings,
): void {
  app.post(
    '/pagamentos',
    {
      schema: {
        summary: 'Charge an order (simulated): 201 the new payment, 200 the stored one on a retry',
        description:
          'One payment per order. A rejection is an answer (`sucesso: false`), not an error. ' +
          'A retry with the same `pedido_id`, `valor_centavos` and `metodo` answers the stored payment (200); ' +
          'other values, or an `Idempotency-Key` used for another order, answer 422 idempotency-key-reused. ' +
          'The simulated processing ends at a stored instant: when that is after the request deadline ' +
          '(`x-timeout-ms`), the answer is 504 and a later retry answers the recorded payment. ' +
          'An order whose payment was voided by an earlier refund answers `sucesso: false`.',
        tags: ['pagamentos'],
        headers: IdempotencyHeaders,
        body: PagamentoBody,
        response: {
          200: PagamentoSchema,
          201: PagamentoSchema,
          ...problemResponses(400, 413, 415, 422, 503, 504),
        },
      },
    },
    async (request, reply) => {
      const ctx = callContextFromRequest(request, timeouts);
      const outcome = await service.processarPagamento(
        { ...request.body, idempotency_key: request.headers['idempotency-key'] },
        ctx,
      );
      return sendOutcome(reply, outcome, `/pagamentos/${outcome.value.pedido_id}`);
    },
  );

  app.post(
    '/pagamentos/:pedido_id/estorno',
    {
      schema: {
        summary: "Refund an order's payment (idempotent compensation)",
        description:
          'aprovado → estornado; a retry answers estornado again. A rejected payment has nothing to refund ' +
          '(`status: rejeitado`). An order with no payment yet gets a void, so a charge arriving later is refused.',
        tags: ['pagamentos'],
        params: PedidoParams,
        body: EstornoBody,
        response: { 200: EstornoSchema, ...problemResponses(400, 413, 415, 503, 504) },
      },
    },
    async (request) => {
      const ctx = callContextFromRequest(request, timeouts);
      const { value } = await service.estornarPagamento(
        { pedido_id: request.params.pedido_id, motivo: request.body.motivo },
        ctx,
      );
      return value;
    },
  );

  app.get(
    '/pagamentos/:pedido_id',
    {
      schema: {
        summary: "Read an order's payment",
        tags: ['pagamentos'],
        params: PedidoParams,
        response: { 200: PagamentoSchema, ...problemResponses(400, 404, 503, 504) },
      },
    },
    async (request) => service.obter(request.params.pedido_id, callContextFromRequest(request, timeouts)),
  );
}
