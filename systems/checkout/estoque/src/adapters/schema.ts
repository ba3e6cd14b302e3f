import type { CommonTables } from '@dslab/checkout-kit';

/** Units on hand per product: what is neither sold nor held by a reservation. */
export interface EstoqueTable {
  produto_id: number;
  quantidade: number;
  atualizado_em: string;
}

export type ReservaStatus = 'separado' | 'liberado';

/**
 * One row per order that ever touched the stock. A `liberado` row without lines is a tombstone:
 * the order was released before (or instead of) being separated, so a late SepararEstoque for
 * it is refused instead of holding stock for a cancelled order.
 */
export interface ReservasTable {
  pedido_id: number;
  status: ReservaStatus;
  motivo: string | null;
  criado_em: string;
  atualizado_em: string;
}

export interface ReservaItensTable {
  pedido_id: number;
  produto_id: number;
  reservado: number;
  /** How much of `reservado` went back to stock (0 ≤ liberado ≤ reservado). */
  liberado: number;
}

export interface EstoqueTables extends CommonTables {
  estoque: EstoqueTable;
  reservas: ReservasTable;
  reserva_itens: ReservaItensTable;
}
