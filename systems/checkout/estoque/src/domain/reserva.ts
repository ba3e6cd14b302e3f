/**
 * Stock for one order: reserve all items or none, release (the checkout's compensation) no
 * more than was reserved for that order, and make the seed's "separar" step idempotent per
 * pedido_id so a retried RPC never takes the goods twice.
 *
 * All-or-nothing: an order shipped with some items missing is a different order from the one
 * paid for, so a shortage on any line refuses the whole reservation, and the answer lists
 * every short line (requested vs available), not just the first one found.
 *
 * The functions here decide; the adapter applies the decision atomically (one transaction,
 * with `UPDATE … SET quantidade_estoque = quantidade_estoque - ? WHERE … AND
 * quantidade_estoque >= ?` and a CHECK (quantidade_estoque >= 0) as the last line), in the
 * ascending produto_id order returned here so two concurrent reservations lock rows in the same
 * order and cannot deadlock.
 */

export interface ItemEstoque {
  readonly produto_id: number;
  readonly quantidade: number;
}

/** One line that cannot be served. */
export interface Falta {
  readonly produto_id: number;
  readonly solicitado: number;
  /** Current stock, 0 for a product the stock does not know. */
  readonly disponivel: number;
}

export interface LinhaReserva {
  readonly produto_id: number;
  readonly reservado: number;
  /** How much of `reservado` has been given back so far (0 ≤ liberado ≤ reservado). */
  readonly liberado: number;
}

export interface Reserva {
  readonly pedido_id: number;
  /** One line per product, ascending produto_id. */
  readonly linhas: readonly LinhaReserva[];
}

export type ReservationPlan =
  | {
      readonly ok: true;
      /** Quantities to take, one per product, ascending produto_id (the lock order). */
      readonly baixas: readonly ItemEstoque[];
      /** Stock of the touched products after the reservation. */
      readonly restante: ReadonlyMap<number, number>;
    }
  | { readonly ok: false; readonly faltas: readonly Falta[] };

/** Sums lines of the same product (a client may split one product over lines) and sorts by id. */
export function aggregate(itens: readonly ItemEstoque[]): ItemEstoque[] {
  const sums = new Map<number, number>();
  for (const { produto_id, quantidade } of itens) {
    if (!Number.isSafeInteger(quantidade) || quantidade < 1)
      throw new RangeError(
        `quantidade must be a positive integer, got ${quantidade} for produto ${produto_id}`,
      );
    sums.set(produto_id, (sums.get(produto_id) ?? 0) + quantidade);
  }
  return [...sums.entries()]
    .sort(([a], [b]) => a - b)
    .map(([produto_id, quantidade]) => ({ produto_id, quantidade }));
}

/**
 * Reserves `itens` against `estoque` (produto_id → units on hand). Either every product has
 * enough and the plan lists what to take, or nothing is taken and every short product is
 * reported. Stock never goes below zero. Quantities must be positive integers (validated at the
 * entry point with validateSepararRequest); anything else is a programming error and throws.
 */
export function planReservation(
  estoque: ReadonlyMap<number, number>,
  itens: readonly ItemEstoque[],
): ReservationPlan {
  const baixas = aggregate(itens);
  const faltas: Falta[] = [];
  const restante = new Map<number, number>();
  for (const { produto_id, quantidade } of baixas) {
    const disponivel = Math.max(0, estoque.get(produto_id) ?? 0);
    if (quantidade > disponivel) faltas.push({ produto_id, solicitado: quantidade, disponivel });
    else restante.set(produto_id, disponivel - quantidade);
  }
  if (faltas.length > 0) return { ok: false, faltas };
  return { ok: true, baixas, restante };
}

function sameItems(reserva: Reserva, itens: readonly ItemEstoque[]): boolean {
  const wanted = aggregate(itens);
  return (
    wanted.length === reserva.linhas.length &&
    wanted.every((w, i) => {
      const linha = reserva.linhas[i];
      return linha !== undefined && linha.produto_id === w.produto_id && linha.reservado === w.quantidade;
    })
  );
}

/**
 * The "separar" step for one order, idempotent per pedido_id:
 * - `reserved`: first call; take `baixas` and store `reserva`.
 * - `already-separated`: a retry with the same items; change nothing, answer success again.
 * - `short`: nothing reserved; `faltas` lists every short product.
 * - `conflict`: the order already holds a different reservation (a bug upstream: the order's
 *   items do not change after checkout).
 * - `released`: the order's reservation was (partly) given back by a compensation; separating
 *   again would resurrect a cancelled order.
 */
export type SepararDecision =
  | {
      readonly kind: 'reserved';
      readonly reserva: Reserva;
      readonly baixas: readonly ItemEstoque[];
      readonly restante: ReadonlyMap<number, number>;
    }
  | { readonly kind: 'already-separated'; readonly reserva: Reserva }
  | { readonly kind: 'short'; readonly faltas: readonly Falta[] }
  | { readonly kind: 'conflict'; readonly reason: string }
  | { readonly kind: 'released'; readonly reason: string };

export function separar(
  estoque: ReadonlyMap<number, number>,
  existente: Reserva | undefined,
  pedido_id: number,
  itens: readonly ItemEstoque[],
): SepararDecision {
  if (existente !== undefined) {
    if (existente.pedido_id !== pedido_id)
      throw new RangeError(`reservation of pedido ${existente.pedido_id} passed for pedido ${pedido_id}`);
    if (existente.linhas.some((l) => l.liberado > 0))
      return {
        kind: 'released',
        reason: `the stock of pedido ${pedido_id} was released; it cannot be separated again`,
      };
    if (!sameItems(existente, itens))
      return {
        kind: 'conflict',
        reason: `pedido ${pedido_id} already holds a reservation for different items`,
      };
    return { kind: 'already-separated', reserva: existente };
  }
  const plan = planReservation(estoque, itens);
  if (!plan.ok) return { kind: 'short', faltas: plan.faltas };
  return {
    kind: 'reserved',
    reserva: {
      pedido_id,
      linhas: plan.baixas.map((b) => ({ produto_id: b.produto_id, reservado: b.quantidade, liberado: 0 })),
    },
    baixas: plan.baixas,
    restante: plan.restante,
  };
}

/** A release that asks for more than the order still holds of a product. */
export interface ExcessoLiberacao {
  readonly produto_id: number;
  readonly solicitado: number;
  /** reservado − liberado for this order; 0 for a product the order never reserved. */
  readonly reservado_restante: number;
}

export type ReleasePlan =
  | {
      readonly ok: true;
      /** Quantities to put back into stock, ascending produto_id; empty when nothing is held. */
      readonly devolucoes: readonly ItemEstoque[];
      readonly reserva: Reserva;
    }
  | { readonly ok: false; readonly excessos: readonly ExcessoLiberacao[] };

/**
 * Gives stock back for one order. Without `itens`, everything still held is released: that is
 * the compensation, and repeating it releases nothing more (a retried compensation is safe).
 * With `itens`, each product's quantity must not exceed what the order still holds; otherwise
 * nothing is released and every excess is reported. Stock can therefore never grow beyond what
 * was taken for the order.
 */
export function liberar(reserva: Reserva, itens?: readonly ItemEstoque[]): ReleasePlan {
  const pedidos =
    itens === undefined
      ? reserva.linhas
          .map((l) => ({ produto_id: l.produto_id, quantidade: l.reservado - l.liberado }))
          .filter((i) => i.quantidade > 0)
      : aggregate(itens);
  const held = new Map(reserva.linhas.map((l) => [l.produto_id, l.reservado - l.liberado]));
  const excessos: ExcessoLiberacao[] = [];
  for (const { produto_id, quantidade } of pedidos) {
    const restante = held.get(produto_id) ?? 0;
    if (quantidade > restante)
      excessos.push({ produto_id, solicitado: quantidade, reservado_restante: restante });
  }
  if (excessos.length > 0) return { ok: false, excessos };
  const released = new Map(pedidos.map((i) => [i.produto_id, i.quantidade]));
  return {
    ok: true,
    devolucoes: pedidos,
    reserva: {
      pedido_id: reserva.pedido_id,
      linhas: reserva.linhas.map((l) => ({ ...l, liberado: l.liberado + (released.get(l.produto_id) ?? 0) })),
    },
  };
}

/** True when the order holds no stock any more. */
export function isFullyReleased(reserva: Reserva): boolean {
  return reserva.linhas.every((l) => l.liberado === l.reservado);
}
