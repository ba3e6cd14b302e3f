/**
 * The messages one shipped order moves through the broker (the saga, docs/checkout-async.md):
 * PEDIDO_CRIADO, VERIFICAR_ESTOQUE, ESTOQUE_VERIFICADO, PROCESSAR_PAGAMENTO, PAGAMENTO_PROCESSADO,
 * SEPARAR_ESTOQUE, ESTOQUE_SEPARADO, EMITIR_NOTA_FISCAL, NOTA_FISCAL_EMITIDA, AGENDAR_ENVIO,
 * ENVIO_AGENDADO: 6 events and 5 commands. Each run checks it against the consumers' inbox rows.
 */
export const MESSAGES_PER_ORDER = 11;
