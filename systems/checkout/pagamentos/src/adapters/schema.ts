import type { CommonTables } from '@dslab/checkout-kit';
import type { Generated } from 'kysely';

/**
 * One payment per order: the seed's columns (id, pedido_id, data_processamento, status, metodo)
 * plus the amount in centavos and the stored simulator decision.
 */
export interface PagamentosTable {
  id: Generated<number>;
  pedido_id: number;
  /** When the payment was (or will be, during the simulated wait) processed: UTC ISO-8601. */
  data_processamento: string;
  /** 'aprovado' | 'rejeitado' | 'estornado'. */
  status: string;
  /** 'cartao_credito' | 'boleto' | 'pix'. */
  metodo: string;
  valor_centavos: number;
  /** The answer's human-readable outcome (Portuguese). */
  mensagem: string;
  idempotency_key: string | null;
  /** canonicalJson({pedido_id, valor_centavos, metodo}) of the charging request; null for a void. */
  fingerprint: string | null;
  /** The simulated processing time drawn for this payment; null for imported rows and voids. */
  latencia_ms: number | null;
  /** When the simulated processing ends (UTC ISO-8601): charge requests answer from then on. */
  pronto_em: string;
  /** 1 = a void recorded by a refund before any charge (status rejeitado, valor 0). */
  anulado: Generated<number>;
  estornado_em: string | null;
  motivo_estorno: string | null;
}

export interface PagamentosTables extends CommonTables {
  pagamentos: PagamentosTable;
}
