/**
 * Shipment statuses (the seed's `envios.status`): aguardando_envio → enviado → entregue, one step
 * at a time, never back. A shipment exists only for an order whose nota fiscal is issued (the
 * seed's `envios.nota_fiscal_id NOT NULL`), and is created `aguardando_envio`.
 *
 * When the shipment moves, the order follows: enviado and entregue are copied onto the order's
 * status, as the seed's generator does; pedidoStatusFor says which order status to set.
 */

export const ENVIO_STATUSES = ['aguardando_envio', 'enviado', 'entregue'] as const;
export type EnvioStatus = (typeof ENVIO_STATUSES)[number];

export const ENVIO_INICIAL: EnvioStatus = 'aguardando_envio';

const NEXT: Readonly<Record<EnvioStatus, EnvioStatus | undefined>> = {
  aguardando_envio: 'enviado',
  enviado: 'entregue',
  entregue: undefined,
};

export function isEnvioStatus(value: unknown): value is EnvioStatus {
  return typeof value === 'string' && (ENVIO_STATUSES as readonly string[]).includes(value);
}

export type EnvioTransition =
  | { readonly ok: true; readonly from: EnvioStatus; readonly to: EnvioStatus }
  | { readonly ok: false; readonly refusal: 'same-status' | 'not-allowed'; readonly reason: string };

export function transitionEnvio(from: EnvioStatus, to: EnvioStatus): EnvioTransition {
  if (from === to) return { ok: false, refusal: 'same-status', reason: `the shipment is already ${from}` };
  const next = NEXT[from];
  if (next !== to)
    return {
      ok: false,
      refusal: 'not-allowed',
      reason:
        next === undefined
          ? `the shipment is ${from}, a final status`
          : `a shipment that is ${from} can only become ${next}, not ${to}`,
    };
  return { ok: true, from, to };
}

/** The order status that mirrors a shipment status; undefined while it waits (the order stays nf_emitida). */
export function pedidoStatusFor(status: EnvioStatus): 'enviado' | 'entregue' | undefined {
  return status === 'aguardando_envio' ? undefined : status;
}
