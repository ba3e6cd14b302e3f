/**
 * What the saga's tests and the redrive's tests share: one order (id 42, two lines, 45,50 paid by
 * pix) in any status, the compensations it may owe, and one well-formed sample of every event
 * about it.
 */
import { COMMAND_TYPES, messageOf, type Event } from '@dslab/checkout-contracts/messages';
import type { CompensationAction } from './compensation.js';
import type { Compensacao, SagaState } from './saga.js';
import type { PedidoStatus } from './status.js';

export const AT = '2030-01-01T12:00:00.000Z';
export const TRACE = 'a'.repeat(32);
export const ID = 42;
/** What the samples (and the commands decided from them) are stamped with. */
export const ENVELOPE = { traceId: TRACE, at: AT };

export const ITENS = [
  { produto_id: 1, quantidade: 2, preco_unitario_centavos: 1000 },
  { produto_id: 2, quantidade: 1, preco_unitario_centavos: 2550 },
];

/** The order in `status` (invoiced from nf_emitida on: nota fiscal 7, NF7-42). */
export function sagaState(status: PedidoStatus, compensacao: Compensacao | null = null): SagaState {
  const invoiced = status === 'nf_emitida' || status === 'enviado' || status === 'entregue';
  return {
    id: ID,
    status,
    compensacao,
    valor_total_centavos: 4550,
    metodo_pagamento: 'pix',
    itens: ITENS,
    nota_fiscal_id: invoiced ? 7 : null,
    numero_nota_fiscal: invoiced ? 'NF7-42' : null,
  };
}

/** A compensation after a failed invoice, owing `pendentes`. */
export const owing = (pendentes: CompensationAction[]): Compensacao => ({
  falha: 'invoice-failed',
  motivo: 'nota fiscal não emitida: x',
  pendentes,
});

export const sampleEvent = (tipo: Event['tipo'], dados: unknown, pedidoId = ID): Event =>
  messageOf(tipo, pedidoId, dados as never, ENVELOPE) as Event;

const pagamento = (sucesso: boolean) => ({
  pagamento_id: 1,
  pedido_id: ID,
  sucesso,
  status: sucesso ? 'aprovado' : 'rejeitado',
  mensagem: sucesso ? 'Pagamento aprovado' : 'saldo insuficiente',
  valor_centavos: 4550,
  metodo: 'pix',
  data_processamento: AT,
});
const separacao = (status: 'separado' | 'liberado') => ({
  pedido_id: ID,
  status,
  itens: [
    { produto_id: 1, quantidade: 2 },
    { produto_id: 2, quantidade: 1 },
  ],
  mensagem: 'ok',
});
export const FALTA = { produto_id: 2, solicitado: 1, disponivel: 0 };

/**
 * One sample of every event (both outcomes of those that have two, a refusal of every command),
 * by name: the event type, then the outcome (`ESTOQUE_VERIFICADO disponivel`) or the refused
 * command (`ETAPA_RECUSADA SEPARAR_ESTOQUE`).
 */
export const SAMPLES: Readonly<Record<string, Event>> = {
  PEDIDO_CRIADO: sampleEvent('PEDIDO_CRIADO', { itens: ITENS, valor_total_centavos: 4550 }),
  'ESTOQUE_VERIFICADO disponivel': sampleEvent('ESTOQUE_VERIFICADO', { disponivel: true, faltas: [] }),
  'ESTOQUE_VERIFICADO indisponivel': sampleEvent('ESTOQUE_VERIFICADO', {
    disponivel: false,
    faltas: [FALTA],
  }),
  'PAGAMENTO_PROCESSADO aprovado': sampleEvent('PAGAMENTO_PROCESSADO', { pagamento: pagamento(true) }),
  'PAGAMENTO_PROCESSADO rejeitado': sampleEvent('PAGAMENTO_PROCESSADO', { pagamento: pagamento(false) }),
  ESTOQUE_SEPARADO: sampleEvent('ESTOQUE_SEPARADO', { separacao: separacao('separado') }),
  ESTOQUE_INSUFICIENTE: sampleEvent('ESTOQUE_INSUFICIENTE', { faltas: [FALTA] }),
  NOTA_FISCAL_EMITIDA: sampleEvent('NOTA_FISCAL_EMITIDA', {
    nota: {
      nota_fiscal_id: 7,
      pedido_id: ID,
      numero: 'NF7-42',
      chave_acesso: '1'.repeat(44),
      data_emissao: AT,
      valor_centavos: 4550,
    },
  }),
  ENVIO_AGENDADO: sampleEvent('ENVIO_AGENDADO', {
    envio: {
      envio_id: 3,
      pedido_id: ID,
      nota_fiscal_id: 7,
      codigo_rastreamento: 'BR123456789PY',
      status: 'enviado',
      data_despacho: AT,
    },
  }),
  PAGAMENTO_ESTORNADO: sampleEvent('PAGAMENTO_ESTORNADO', {
    estorno: { pedido_id: ID, status: 'estornado', mensagem: 'estornado' },
  }),
  ESTOQUE_LIBERADO: sampleEvent('ESTOQUE_LIBERADO', { separacao: separacao('liberado') }),
  ...Object.fromEntries(
    COMMAND_TYPES.map((comando) => [
      `ETAPA_RECUSADA ${comando}`,
      sampleEvent('ETAPA_RECUSADA', { comando, codigo: 'validation-failed', detalhe: 'recusado' }),
    ]),
  ),
};
