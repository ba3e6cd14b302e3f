import type { CommonTables } from '@dslab/checkout-kit';
import type { Generated } from 'kysely';

export interface ClientesTable {
  id: Generated<number>;
  nome: string;
  email: string;
}

/**
 * The seed's `pedidos` columns (id, cliente_id, data_criacao, status) with the total in centavos,
 * plus what the orchestrator needs to resume an order after a crash: the lease of whoever is
 * driving it and the compensation it still owes.
 */
export interface PedidosTable {
  id: Generated<number>;
  cliente_id: number;
  data_criacao: string;
  status: string;
  valor_total_centavos: number;
  metodo_pagamento: string;
  motivo: string | null;
  nota_fiscal_id: number | null;
  numero_nota_fiscal: string | null;
  codigo_rastreamento: string | null;
  atualizado_em: string;
  idempotency_key: string | null;
  /** Canonical JSON of the creating request, to tell a retry from a reuse of the key. */
  fingerprint: string;
  /** Epoch ms until which one runner (a request or the recovery loop) drives the order. */
  em_execucao_ate: number;
  /** JSON {falha, motivo} while a compensation is owed; null otherwise. */
  compensacao: string | null;
  /**
   * Failed attempts of the current step (the synchronous recovery loop backs off on it); in the
   * asynchronous checkout, the re-sends of the current step's command by the stalled-order sweep
   * (application/redrive.ts), reset to 0 whenever the saga moves the order on.
   */
  tentativas: number;
  /** 'checkout' for orders placed here (the orchestrator drives them), 'importado' for the seed's history. */
  origem: 'checkout' | 'importado';
}

export interface ItensPedidoTable {
  id: Generated<number>;
  pedido_id: number;
  produto_id: number;
  quantidade: number;
  preco_unitario_centavos: number;
}

/**
 * A customer's login (asynchronous checkout, POST /auth/login): the scrypt hash of their password
 * (@dslab/auth). The seed stores none; a development default can be given to every customer.
 */
export interface CredenciaisTable {
  cliente_id: number;
  senha_hash: string;
}

export interface PedidosTables extends CommonTables {
  clientes: ClientesTable;
  pedidos: PedidosTable;
  itens_pedido: ItensPedidoTable;
  credenciais: CredenciaisTable;
}
