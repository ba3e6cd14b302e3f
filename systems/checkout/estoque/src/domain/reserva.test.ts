import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@dslab/testing';
import {
  isFullyReleased,
  liberar,
  planReservation,
  separar,
  type ItemEstoque,
  type Reserva,
} from './reserva.js';

const estoque = new Map([
  [1, 3],
  [2, 10],
  [3, 0],
]);

describe('planReservation (all or nothing)', () => {
  test('when stock is 3 and 4 are asked, then nothing is reserved and the short item is reported', () => {
    assert.deepEqual(planReservation(estoque, [{ produto_id: 1, quantidade: 4 }]), {
      ok: false,
      faltas: [{ produto_id: 1, solicitado: 4, disponivel: 3 }],
    });
  });

  test('when stock is 3 and 3 are asked, then all 3 are reserved and 0 remain', () => {
    const plan = planReservation(estoque, [{ produto_id: 1, quantidade: 3 }]);
    assert.ok(plan.ok);
    assert.deepEqual(plan.baixas, [{ produto_id: 1, quantidade: 3 }]);
    assert.equal(plan.restante.get(1), 0);
  });

  test('when one of three lines is short, then nothing at all is reserved', () => {
    const plan = planReservation(estoque, [
      { produto_id: 2, quantidade: 5 },
      { produto_id: 1, quantidade: 4 },
      { produto_id: 2, quantidade: 1 },
    ]);
    assert.deepEqual(plan, { ok: false, faltas: [{ produto_id: 1, solicitado: 4, disponivel: 3 }] });
  });

  test('when several products are short or unknown, then every one is reported with requested vs available', () => {
    const plan = planReservation(estoque, [
      { produto_id: 3, quantidade: 1 },
      { produto_id: 1, quantidade: 9 },
      { produto_id: 99, quantidade: 2 },
      { produto_id: 2, quantidade: 1 },
    ]);
    assert.deepEqual(plan, {
      ok: false,
      faltas: [
        { produto_id: 1, solicitado: 9, disponivel: 3 },
        { produto_id: 3, solicitado: 1, disponivel: 0 },
        { produto_id: 99, solicitado: 2, disponivel: 0 },
      ],
    });
  });

  test('when one product is split over two lines, then their sum is checked against stock', () => {
    const plan = planReservation(estoque, [
      { produto_id: 1, quantidade: 2 },
      { produto_id: 1, quantidade: 2 },
    ]);
    assert.deepEqual(plan, { ok: false, faltas: [{ produto_id: 1, solicitado: 4, disponivel: 3 }] });
  });

  test('the quantities to take are listed in ascending produto_id (the lock order)', () => {
    const plan = planReservation(estoque, [
      { produto_id: 2, quantidade: 1 },
      { produto_id: 1, quantidade: 1 },
    ]);
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.baixas.map((b) => b.produto_id),
      [1, 2],
    );
  });

  test('when a quantidade is 0 or fractional, then it throws (the entry point validates first)', () => {
    assert.throws(() => planReservation(estoque, [{ produto_id: 1, quantidade: 0 }]), RangeError);
    assert.throws(() => planReservation(estoque, [{ produto_id: 1, quantidade: 1.5 }]), RangeError);
  });

  test('for random stock and orders (seed 17), stock never goes below zero and it is all or nothing', () => {
    const random = seededRandom(17);
    const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    for (let n = 0; n < 5_000; n++) {
      const levels = new Map<number, number>();
      for (let p = 1; p <= 6; p++) if (random() < 0.9) levels.set(p, int(0, 20));
      const itens = Array.from({ length: int(1, 6) }, () => ({
        produto_id: int(1, 7),
        quantidade: int(1, 12),
      }));
      const wanted = new Map<number, number>();
      for (const i of itens) wanted.set(i.produto_id, (wanted.get(i.produto_id) ?? 0) + i.quantidade);
      const short = [...wanted].filter(([p, q]) => q > (levels.get(p) ?? 0));
      const plan = planReservation(levels, itens);
      assert.equal(plan.ok, short.length === 0);
      if (plan.ok) {
        for (const [p, q] of wanted) assert.equal(plan.restante.get(p), (levels.get(p) ?? 0) - q);
        for (const r of plan.restante.values()) assert.ok(r >= 0);
      } else
        assert.deepEqual(
          plan.faltas.map((f) => f.produto_id),
          short.map(([p]) => p).sort((a, b) => a - b),
        );
    }
  });
});

describe('separar (idempotent per pedido_id)', () => {
  const itens: ItemEstoque[] = [
    { produto_id: 2, quantidade: 4 },
    { produto_id: 1, quantidade: 1 },
  ];

  test('when an order is separated for the first time, then its stock is reserved', () => {
    const decision = separar(estoque, undefined, 42, itens);
    assert.equal(decision.kind, 'reserved');
    assert.deepEqual(decision.reserva, {
      pedido_id: 42,
      linhas: [
        { produto_id: 1, reservado: 1, liberado: 0 },
        { produto_id: 2, reservado: 4, liberado: 0 },
      ],
    });
  });

  test('when separar is retried with the same items, then nothing more is taken', () => {
    const first = separar(estoque, undefined, 42, itens);
    assert.ok(first.kind === 'reserved');
    const again = separar(first.restante, first.reserva, 42, [...itens].reverse());
    assert.deepEqual(again, { kind: 'already-separated', reserva: first.reserva });
  });

  test('when the retry arrives after the stock ran out, then it still succeeds (the goods are already held)', () => {
    const first = separar(estoque, undefined, 42, itens);
    assert.ok(first.kind === 'reserved');
    assert.equal(separar(new Map(), first.reserva, 42, itens).kind, 'already-separated');
  });

  test('when the same order asks for different items, then it is a conflict', () => {
    const first = separar(estoque, undefined, 42, itens);
    assert.ok(first.kind === 'reserved');
    assert.equal(separar(estoque, first.reserva, 42, [{ produto_id: 1, quantidade: 1 }]).kind, 'conflict');
  });

  test('when the order’s stock was released by a compensation, then it is not separated again', () => {
    const first = separar(estoque, undefined, 42, itens);
    assert.ok(first.kind === 'reserved');
    const released = liberar(first.reserva);
    assert.ok(released.ok);
    assert.equal(separar(estoque, released.reserva, 42, itens).kind, 'released');
  });

  test('when stock is short, then nothing is reserved and every short item is reported', () => {
    assert.deepEqual(separar(estoque, undefined, 7, [{ produto_id: 3, quantidade: 1 }]), {
      kind: 'short',
      faltas: [{ produto_id: 3, solicitado: 1, disponivel: 0 }],
    });
  });
});

describe('liberar (compensation)', () => {
  const reserva: Reserva = {
    pedido_id: 42,
    linhas: [
      { produto_id: 1, reservado: 2, liberado: 0 },
      { produto_id: 2, reservado: 5, liberado: 0 },
    ],
  };

  test('when everything is released, then exactly what was reserved goes back', () => {
    const plan = liberar(reserva);
    assert.ok(plan.ok);
    assert.deepEqual(plan.devolucoes, [
      { produto_id: 1, quantidade: 2 },
      { produto_id: 2, quantidade: 5 },
    ]);
    assert.equal(isFullyReleased(plan.reserva), true);
  });

  test('when the compensation is retried, then nothing more goes back', () => {
    const first = liberar(reserva);
    assert.ok(first.ok);
    const again = liberar(first.reserva);
    assert.ok(again.ok);
    assert.deepEqual(again.devolucoes, []);
  });

  test('when 3 are released but 2 were reserved, then nothing is released and the excess is reported', () => {
    assert.deepEqual(liberar(reserva, [{ produto_id: 1, quantidade: 3 }]), {
      ok: false,
      excessos: [{ produto_id: 1, solicitado: 3, reservado_restante: 2 }],
    });
  });

  test('when a product the order never reserved is released, then it is refused', () => {
    assert.deepEqual(liberar(reserva, [{ produto_id: 9, quantidade: 1 }]), {
      ok: false,
      excessos: [{ produto_id: 9, solicitado: 1, reservado_restante: 0 }],
    });
  });

  test('when part is released twice, then the second release counts what is left', () => {
    const first = liberar(reserva, [{ produto_id: 2, quantidade: 3 }]);
    assert.ok(first.ok);
    assert.deepEqual(liberar(first.reserva, [{ produto_id: 2, quantidade: 3 }]), {
      ok: false,
      excessos: [{ produto_id: 2, solicitado: 3, reservado_restante: 2 }],
    });
    const rest = liberar(first.reserva);
    assert.ok(rest.ok);
    assert.deepEqual(rest.devolucoes, [
      { produto_id: 1, quantidade: 2 },
      { produto_id: 2, quantidade: 2 },
    ]);
  });

  test('for random partial releases (seed 23), the total given back never exceeds what was reserved', () => {
    const random = seededRandom(23);
    for (let n = 0; n < 2_000; n++) {
      let current: Reserva = reserva;
      let back = 0;
      for (let step = 0; step < 6; step++) {
        const plan =
          random() < 0.2
            ? liberar(current)
            : liberar(current, [
                { produto_id: 1 + Math.floor(random() * 3), quantidade: 1 + Math.floor(random() * 4) },
              ]);
        if (plan.ok) {
          back += plan.devolucoes.reduce((s, d) => s + d.quantidade, 0);
          current = plan.reserva;
        }
        for (const l of current.linhas) assert.ok(l.liberado >= 0 && l.liberado <= l.reservado);
      }
      assert.ok(back <= 7);
    }
  });
});
