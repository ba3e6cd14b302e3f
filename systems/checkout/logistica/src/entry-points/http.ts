import { ENVIO_STATUS_VALUES } from '@dslab/checkout-contracts';
import { idParams, idSchema, sendOutcome, stringEnum, type TimeoutSettings } from '@dslab/checkout-kit';
import { callContextFromRequest, problemResponses, type HttpApp } from '@dslab/http-kit';
import { Type } from 'typebox';
import type { LogisticaService } from '../application/logistica-service.js';

export type { TimeoutSettings } from '@dslab/checkout-kit';

const AgendarBody = Type.Object(
  {
    pedido_id: idSchema('the order; one dispatch per order'),
    nota_fiscal_id: idSchema("the order's invoice (fiscal); one dispatch per invoice"),
    numero_nota_fiscal: Type.String({
      minLength: 4,
      maxLength: 32,
      description: "the invoice's number, NF<número>-<pedido_id>, printed on the label",
    }),
  },
  { additionalProperties: false },
);

export const EnvioSchema = Type.Object({
  envio_id: Type.Integer(),
  pedido_id: Type.Integer(),
  nota_fiscal_id: Type.Integer(),
  codigo_rastreamento: Type.String({ description: 'BR<9 digits>PY' }),
  status: stringEnum(ENVIO_STATUS_VALUES),
  data_despacho: Type.String({ description: 'UTC ISO-8601' }),
});

/** The REST resources of logistica (docs/checkout.md): dispatch an invoiced order, read a dispatch. */
export function registerLogisticaRoutes(
  app: HttpApp,
  service: LogisticaService,
  timeouts: TimeoutSettings,
): void {
  app.post(
    '/envios',
    {
      schema: {
        summary: 'Dispatch an invoiced order (one per order and per invoice; a retry returns it)',
        description:
          'Hands the parcel to the carrier: the dispatch is answered `enviado` with a new tracking code. ' +
          'The same order and invoice again answer 200 with the stored dispatch; another invoice for the order, ' +
          'or an invoice already dispatched for another order, answers 409.',
        tags: ['envios'],
        body: AgendarBody,
        response: {
          200: EnvioSchema,
          201: EnvioSchema,
          ...problemResponses(400, 409, 413, 415, 503, 504),
        },
      },
    },
    async (request, reply) => {
      const { envio, replayed } = await service.agendar(
        request.body,
        callContextFromRequest(request, timeouts),
      );
      return sendOutcome(reply, { value: envio, replayed }, `/envios/${envio.envio_id}`);
    },
  );

  app.get(
    '/envios/:id',
    {
      schema: {
        summary: 'Read a dispatch',
        tags: ['envios'],
        params: idParams('id', 'envio_id'),
        response: { 200: EnvioSchema, ...problemResponses(400, 404, 503, 504) },
      },
    },
    async (request) => service.obterEnvio(request.params.id, callContextFromRequest(request, timeouts)),
  );
}
