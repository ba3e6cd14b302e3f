import type { CommonTables } from '@dslab/checkout-kit';
import type { Generated } from 'kysely';
import type { EnvioStatus } from '../domain/envio.js';

/**
 * The seed's `envios` columns (id, pedido_id, nota_fiscal_id, data_despacho, codigo_rastreamento,
 * status) plus the invoice number printed on the label. data_despacho and codigo_rastreamento are
 * nullable as in the seed (a file produced elsewhere may hold NULLs); dispatches made here always
 * have both.
 */
export interface EnviosTable {
  id: Generated<number>;
  pedido_id: number;
  nota_fiscal_id: number;
  data_despacho: string | null;
  codigo_rastreamento: string | null;
  status: EnvioStatus;
  numero_nota_fiscal: string | null;
}

export interface LogisticaTables extends CommonTables {
  envios: EnviosTable;
}
