/**
 * The checkout services' operations as TypeScript interfaces, independent of the wire.
 *
 * Each service's application layer implements its port; the gRPC and REST clients in
 * @dslab/checkout-clients implement the same port over the network, so pedidos (the orchestrator)
 * and catalogo call their neighbours without knowing the transport. Field names are the REST
 * bodies' (snake_case, as the seed and the protos spell them); money is integer centavos; times
 * are UTC ISO-8601 strings with milliseconds and `Z`.
 *
 * Answers use mutable arrays (the HTTP layer's response schemas are typed that way); requests
 * take readonly ones.
 *
 * Errors: every method rejects with an AppError from @dslab/errors whose code is in the catalog
 * (`validation-failed`, `not-found`, `insufficient-stock`, `timeout`, `unavailable`, …). The
 * clients rebuild the same AppError on the caller's side (code, detail and extensions survive
 * the wire), so a caller branches on `error.code` whatever the transport.
 */

/** What every call carries across a hop. */
export interface CallContext {
  /** Absolute deadline of the whole request, epoch milliseconds (the Date.now() scale). */
  readonly deadline: number;
  /** W3C trace id of the request, carried to the next hop (traceparent). */
  readonly traceId: string;
}

export const PEDIDO_STATUS_VALUES = [
  'pendente',
  'pagamento_aprovado',
  'em_separacao',
  'nf_emitida',
  'enviado',
  'entregue',
  'cancelado',
] as const;
export type PedidoStatusValue = (typeof PEDIDO_STATUS_VALUES)[number];

export const METODO_PAGAMENTO_VALUES = ['cartao_credito', 'boleto', 'pix'] as const;
export type MetodoPagamentoValue = (typeof METODO_PAGAMENTO_VALUES)[number];

export const PAGAMENTO_STATUS_VALUES = ['aprovado', 'rejeitado', 'estornado'] as const;
export type PagamentoStatusValue = (typeof PAGAMENTO_STATUS_VALUES)[number];

export const ENVIO_STATUS_VALUES = ['aguardando_envio', 'enviado', 'entregue'] as const;
export type EnvioStatusValue = (typeof ENVIO_STATUS_VALUES)[number];

/** A product and a quantity (an order line before pricing, a reservation line). */
export interface ItemQuantidade {
  readonly produto_id: number;
  readonly quantidade: number;
}

/** An order line with the unit price fixed when the order was created. */
export interface ItemComPrecoValue extends ItemQuantidade {
  readonly preco_unitario_centavos: number;
}

// ---------------------------------------------------------------------------------------------
// catalogo

export interface ProdutoInfoValue {
  readonly id: number;
  readonly nome: string;
  /** Units available now (read from estoque). */
  readonly estoque: number;
  readonly preco_centavos: number;
}

export interface ProdutoPrecoValue {
  readonly id: number;
  readonly nome: string;
  readonly preco_centavos: number;
}

export interface ListarProdutosQuery {
  /** true: only products with stock > 0; false: only products without; absent: all. */
  readonly disponivel?: boolean | undefined;
  readonly limit: number;
  readonly offset: number;
}

export interface CatalogoPort {
  listarProdutos(
    query: ListarProdutosQuery,
    ctx: CallContext,
  ): Promise<{ readonly produtos: ProdutoInfoValue[]; readonly total: number }>;
  /** Names and prices of the given ids (at most 1000); unknown ids are absent, ordered by id. */
  obterProdutos(ids: readonly number[], ctx: CallContext): Promise<ProdutoPrecoValue[]>;
}

// ---------------------------------------------------------------------------------------------
// estoque

export interface SeparacaoValue {
  readonly pedido_id: number;
  readonly status: 'separado' | 'liberado';
  /** Held (separar) or given back by this call (liberar), one line per product, ascending id. */
  readonly itens: ItemQuantidade[];
  readonly mensagem: string;
}

export interface SaldoValue {
  readonly produto_id: number;
  readonly quantidade_disponivel: number;
}

export interface EstoquePort {
  /**
   * Reserves every line or none (idempotent per pedido_id: the same items again return the
   * stored reservation). Rejects with `insufficient-stock` (extension `faltas`) or
   * `reservation-conflict` (the order already holds a different reservation, or was released).
   */
  separar(
    req: { readonly pedido_id: number; readonly itens: readonly ItemQuantidade[] },
    ctx: CallContext,
  ): Promise<SeparacaoValue>;
  /** Gives back what the order still holds; idempotent, and a no-op for an unknown order. */
  liberar(
    req: { readonly pedido_id: number; readonly motivo: string },
    ctx: CallContext,
  ): Promise<SeparacaoValue>;
  /** Available units of the given products (all products when the list is empty), ascending id. */
  consultar(produto_ids: readonly number[], ctx: CallContext): Promise<SaldoValue[]>;
}

// ---------------------------------------------------------------------------------------------
// pagamentos

export interface PagamentoValue {
  readonly pagamento_id: number;
  readonly pedido_id: number;
  /** true only when status is aprovado. */
  readonly sucesso: boolean;
  readonly status: PagamentoStatusValue;
  readonly mensagem: string;
  readonly valor_centavos: number;
  readonly metodo: MetodoPagamentoValue;
  readonly data_processamento: string;
}

export interface EstornoValue {
  readonly pedido_id: number;
  /** The payment's status after the call: estornado, or rejeitado when nothing was ever charged. */
  readonly status: PagamentoStatusValue;
  readonly mensagem: string;
}

export interface PagamentosPort {
  /**
   * Charges once per order. A rejection is an answer (sucesso false), not an error. A retry (same
   * pedido_id, valor and metodo) returns the stored payment; different values reject with
   * `idempotency-key-reused`.
   */
  processar(
    req: {
      readonly pedido_id: number;
      readonly valor_centavos: number;
      readonly metodo: MetodoPagamentoValue;
      readonly idempotency_key?: string | undefined;
    },
    ctx: CallContext,
  ): Promise<PagamentoValue>;
  /**
   * Refunds an approved payment; idempotent. For an order never charged it records a void, so a
   * charge arriving later (a delayed retry) is refused instead of taking the money.
   */
  estornar(
    req: { readonly pedido_id: number; readonly motivo: string },
    ctx: CallContext,
  ): Promise<EstornoValue>;
}

// ---------------------------------------------------------------------------------------------
// fiscal

export interface NotaFiscalValue {
  readonly nota_fiscal_id: number;
  readonly pedido_id: number;
  /** `NF<nNF>-<pedido_id>`. */
  readonly numero: string;
  /** 44 digits with a mod-11 check digit. */
  readonly chave_acesso: string;
  readonly data_emissao: string;
  readonly valor_centavos: number;
}

export interface FiscalPort {
  /** One invoice per order: a retry with the same total returns it; another total is a `conflict`. */
  emitir(
    req: {
      readonly pedido_id: number;
      readonly valor_centavos: number;
      readonly itens: readonly ItemComPrecoValue[];
    },
    ctx: CallContext,
  ): Promise<NotaFiscalValue>;
}

// ---------------------------------------------------------------------------------------------
// logistica

export interface EnvioValue {
  readonly envio_id: number;
  readonly pedido_id: number;
  readonly nota_fiscal_id: number;
  /** `BR<9 digits>PY`. */
  readonly codigo_rastreamento: string;
  readonly status: EnvioStatusValue;
  readonly data_despacho: string;
}

export interface LogisticaPort {
  /** One dispatch per invoice and per order: a retry returns the stored dispatch. */
  agendarEnvio(
    req: { readonly pedido_id: number; readonly nota_fiscal_id: number; readonly numero_nota_fiscal: string },
    ctx: CallContext,
  ): Promise<EnvioValue>;
}

// ---------------------------------------------------------------------------------------------
// pedidos

export interface PedidoValue {
  readonly id: number;
  readonly cliente_id: number;
  readonly status: PedidoStatusValue;
  readonly itens: ItemComPrecoValue[];
  readonly valor_total_centavos: number;
  readonly metodo_pagamento: MetodoPagamentoValue;
  readonly data_criacao: string;
  readonly atualizado_em: string;
  /** Why the order is cancelled or stopped; absent while all is well. */
  readonly motivo?: string;
  readonly numero_nota_fiscal?: string;
  readonly codigo_rastreamento?: string;
}

export interface PedidosPort {
  /** Creates the order and runs the checkout chain; answers the order in its final state. */
  criarPedido(
    req: {
      readonly cliente_id: number;
      readonly itens: readonly ItemQuantidade[];
      readonly metodo_pagamento?: MetodoPagamentoValue | undefined;
      readonly idempotency_key?: string | undefined;
    },
    ctx: CallContext,
  ): Promise<PedidoValue>;
  obterPedido(id: number, ctx: CallContext): Promise<PedidoValue>;
}
