/**
 * The seed's synthetic data, generated as rows (no I/O): clients, products, orders with items, then
 * payments, invoices and dispatches in the seed's proportions. All randomness comes from the faker
 * instance passed in (see createFaker), and "now" is a parameter, so a seed and a reference time
 * determine every row.
 *
 * Differences from the seed's Python generator (bugs fixed, see README.md):
 * - an order without a payment stays `pendente` (the seed reused the previous order's
 *   `status_pagamento`, or failed with a NameError on the first order);
 * - invoices are issued only for orders whose payment was approved (the seed rolled the 90 % for
 *   every order, even unpaid or rejected ones);
 * - dispatches exist only for orders with an invoice, and point to that order's invoice (the seed
 *   rolled the 95 % for every order and reused the previous order's `nf_id`);
 * - payment, invoice and dispatch dates never precede the order's creation nor each other (the seed
 *   drew each one independently from its own window).
 */
import type { Faker } from '@faker-js/faker';
import { ean13CheckDigit } from './ean.js';
import {
  CATEGORIAS,
  ENVIO_STATUSES,
  PAGAMENTO_METODOS,
  type ClienteRow,
  type Dataset,
  type EnvioRow,
  type ItemPedidoRow,
  type NotaFiscalRow,
  type PagamentoRow,
  type PedidoRow,
  type PedidoStatus,
  type ProdutoRow,
} from './schema.js';

export interface Sizes {
  clientes: number;
  produtos: number;
  pedidos: number;
}

/** The sizes of the seed's `main()` call: `popular_dados(conn, 50, 30, 100)`. */
export const DEFAULT_SIZES: Readonly<Sizes> = Object.freeze({ clientes: 50, produtos: 30, pedidos: 100 });

/** Upper bound of every size: beyond this the run is a mistake, not a data set. */
export const MAX_SIZE = 1_000_000;

/** The seed's proportions (each conditional on the previous step). */
export const PROBABILITIES = Object.freeze({
  /** Orders that get a payment (approved or rejected, 50/50 like `random.choice`). */
  pagamento: 0.8,
  /** Orders with an approved payment that get an invoice. */
  notaFiscal: 0.9,
  /** Orders with an invoice that get a dispatch. */
  envio: 0.95,
});

/** How far back (days before "now") each kind of date may go, as in the seed (-90d, -80d, -70d, -60d). */
export const WINDOW_DAYS = Object.freeze({ pedido: 90, pagamento: 80, notaFiscal: 70, envio: 60 });

const DAY_MS = 86_400_000;

/** Order statuses this generator writes (a subset of PEDIDO_STATUSES, as in the seed). */
export const GENERATED_PEDIDO_STATUSES = [
  'pendente',
  'pagamento_aprovado',
  'nf_emitida',
  'enviado',
  'entregue',
] as const satisfies readonly PedidoStatus[];

/** Throws a RangeError when the sizes cannot produce a consistent data set. */
export function validateSizes(sizes: Sizes): void {
  for (const [name, value] of Object.entries(sizes)) {
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_SIZE) {
      throw new RangeError(`${name} must be an integer from 0 to ${MAX_SIZE}, got ${String(value)}`);
    }
  }
  if (sizes.pedidos > 0 && sizes.clientes === 0) throw new RangeError('pedidos need at least one cliente');
  if (sizes.pedidos > 0 && sizes.produtos === 0) throw new RangeError('pedidos need at least one produto');
}

/**
 * Generates the whole data set. `nowMs` is the reference time (epoch milliseconds) the seed's
 * relative windows ("-90d" … "now") are measured from. Ids start at 1 in every table, in insertion
 * order, exactly as AUTOINCREMENT would assign them in a fresh file.
 */
export function generateDataset(faker: Faker, sizes: Sizes, nowMs: number): Dataset {
  validateSizes(sizes);
  if (!Number.isSafeInteger(nowMs) || nowMs - WINDOW_DAYS.pedido * DAY_MS < 0) {
    throw new RangeError(`now must be an integer epoch time at least ${WINDOW_DAYS.pedido} days after 1970`);
  }
  const clientes: ClienteRow[] = [];
  for (let i = 0; i < sizes.clientes; i++) {
    const nome = faker.person.fullName();
    // The index makes the address unique, as in the seed.
    clientes.push({ id: i + 1, nome, email: `cliente_${i}_${username(faker)}@exemplo.com` });
  }

  const produtos: ProdutoRow[] = [];
  const precoCentavos: number[] = [];
  for (let i = 0; i < sizes.produtos; i++) {
    const nome = `Produto ${capitalize(faker.word.noun())} ${faker.helpers.arrayElement(CATEGORIAS)}`;
    // round(random.uniform(10.5, 500.99), 2), drawn in centavos so the price is exactly 2 decimals.
    const centavos = faker.number.int({ min: 1050, max: 50099 });
    const estoque = faker.number.int({ min: 0, max: 100 });
    produtos.push({ id: i + 1, nome, preco: centavos / 100, quantidade_estoque: estoque });
    precoCentavos.push(centavos);
  }

  const pedidos: PedidoRow[] = [];
  const itens: ItemPedidoRow[] = [];
  const criadoEmMs: number[] = [];
  for (let i = 0; i < sizes.pedidos; i++) {
    const pedidoId = i + 1;
    const cliente = faker.helpers.arrayElement(clientes);
    const criadoMs = faker.number.int({ min: nowMs - WINDOW_DAYS.pedido * DAY_MS, max: nowMs });
    const numItens = faker.number.int({ min: 1, max: 5 });
    let totalCentavos = 0;
    for (let k = 0; k < numItens; k++) {
      const index = faker.number.int({ min: 0, max: produtos.length - 1 });
      const produto = produtos[index];
      const centavos = precoCentavos[index];
      if (produto === undefined || centavos === undefined) throw new Error('unreachable: product index');
      const quantidade = faker.number.int({ min: 1, max: 3 });
      totalCentavos += quantidade * centavos;
      itens.push({
        id: itens.length + 1,
        pedido_id: pedidoId,
        produto_id: produto.id,
        quantidade,
        preco_unitario: produto.preco,
      });
    }
    pedidos.push({
      id: pedidoId,
      cliente_id: cliente.id,
      data_criacao: new Date(criadoMs).toISOString(),
      status: 'pendente',
      // Summed in integer centavos, so this is the exact 2-decimal total (the seed: round(sum, 2)).
      valor_total: totalCentavos / 100,
    });
    criadoEmMs.push(criadoMs);
  }

  const pagamentos: PagamentoRow[] = [];
  const notasFiscais: NotaFiscalRow[] = [];
  const envios: EnvioRow[] = [];
  for (const [i, pedido] of pedidos.entries()) {
    const criadoMs = criadoEmMs[i] ?? nowMs;
    let status: PedidoStatus = 'pendente';
    if (faker.datatype.boolean({ probability: PROBABILITIES.pagamento })) {
      const pagoMs = faker.number.int({
        min: Math.max(nowMs - WINDOW_DAYS.pagamento * DAY_MS, criadoMs),
        max: nowMs,
      });
      const aprovado = faker.helpers.arrayElement(['aprovado', 'rejeitado'] as const) === 'aprovado';
      pagamentos.push({
        id: pagamentos.length + 1,
        pedido_id: pedido.id,
        data_processamento: new Date(pagoMs).toISOString(),
        status: aprovado ? 'aprovado' : 'rejeitado',
        metodo: faker.helpers.arrayElement(PAGAMENTO_METODOS),
      });
      // A rejected payment leaves the order `pendente`, as in the seed (it never writes `cancelado`).
      if (aprovado) {
        status = 'pagamento_aprovado';
        if (faker.datatype.boolean({ probability: PROBABILITIES.notaFiscal })) {
          // The seed passes through `em_separacao` (stock) and immediately sets `nf_emitida`.
          const emitidaMs = faker.number.int({
            min: Math.max(nowMs - WINDOW_DAYS.notaFiscal * DAY_MS, pagoMs),
            max: nowMs,
          });
          const nota: NotaFiscalRow = {
            id: notasFiscais.length + 1,
            pedido_id: pedido.id,
            // The order id suffix makes the number unique.
            numero: `NF${faker.number.int({ min: 10000, max: 99999 })}-${pedido.id}`,
            data_emissao: new Date(emitidaMs).toISOString(),
            chave_acesso: ean13(faker) + ean13(faker) + ean13(faker),
          };
          notasFiscais.push(nota);
          status = 'nf_emitida';
          if (faker.datatype.boolean({ probability: PROBABILITIES.envio })) {
            const despachoMs = faker.number.int({
              min: Math.max(nowMs - WINDOW_DAYS.envio * DAY_MS, emitidaMs),
              max: nowMs,
            });
            const rastreio = `BR${faker.number.int({ min: 100000000, max: 999999999 })}PY`;
            const envioStatus = faker.helpers.arrayElement(ENVIO_STATUSES);
            envios.push({
              id: envios.length + 1,
              pedido_id: pedido.id,
              nota_fiscal_id: nota.id,
              // The seed stamps a dispatch date even while `aguardando_envio`; kept.
              data_despacho: new Date(despachoMs).toISOString(),
              codigo_rastreamento: rastreio,
              status: envioStatus,
            });
            if (envioStatus !== 'aguardando_envio') status = envioStatus;
          }
        }
      }
    }
    pedido.status = status;
  }

  return {
    clientes,
    produtos,
    pedidos,
    itens_pedido: itens,
    pagamentos,
    notas_fiscais: notasFiscais,
    envios,
  };
}

/** One EAN-13: 12 random digits and their check digit (faker v10 has no EAN generator). */
export function ean13(faker: Faker): string {
  const first12 = faker.string.numeric({ length: 12, allowLeadingZeros: true });
  return `${first12}${ean13CheckDigit(first12)}`;
}

/** Like Python's str.capitalize(): first letter upper case, the rest lower case (pt-BR rules). */
function capitalize(word: string): string {
  const lower = word.toLocaleLowerCase('pt-BR');
  return lower.charAt(0).toLocaleUpperCase('pt-BR') + lower.slice(1);
}

/** A faker user name reduced to lower-case ASCII letters, digits, `.`, `_` and `-` (safe in an e-mail). */
function username(faker: Faker): string {
  const clean = faker.internet
    .username()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '');
  return clean === '' ? 'usuario' : clean;
}

/** Counts and proportions of a data set, for the CLI summary and for tests. */
export interface Summary {
  counts: Record<keyof Dataset, number>;
  pagamentosAprovados: number;
  pagamentosRejeitados: number;
  /** pagamentos / pedidos (expected ≈ 0.8). */
  pagamentoRate: number;
  /** approved / pagamentos (expected ≈ 0.5). */
  aprovacaoRate: number;
  /** notas_fiscais / approved payments (expected ≈ 0.9). */
  notaFiscalRate: number;
  /** envios / notas_fiscais (expected ≈ 0.95). */
  envioRate: number;
  pedidoStatus: Record<string, number>;
  envioStatus: Record<string, number>;
  metodos: Record<string, number>;
}

export function summarize(dataset: Dataset): Summary {
  const ratio = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);
  const tally = (values: readonly string[]) => {
    const out: Record<string, number> = {};
    for (const value of values) out[value] = (out[value] ?? 0) + 1;
    return out;
  };
  const aprovados = dataset.pagamentos.filter((p) => p.status === 'aprovado').length;
  return {
    counts: {
      clientes: dataset.clientes.length,
      produtos: dataset.produtos.length,
      pedidos: dataset.pedidos.length,
      itens_pedido: dataset.itens_pedido.length,
      pagamentos: dataset.pagamentos.length,
      notas_fiscais: dataset.notas_fiscais.length,
      envios: dataset.envios.length,
    },
    pagamentosAprovados: aprovados,
    pagamentosRejeitados: dataset.pagamentos.length - aprovados,
    pagamentoRate: ratio(dataset.pagamentos.length, dataset.pedidos.length),
    aprovacaoRate: ratio(aprovados, dataset.pagamentos.length),
    notaFiscalRate: ratio(dataset.notas_fiscais.length, aprovados),
    envioRate: ratio(dataset.envios.length, dataset.notas_fiscais.length),
    pedidoStatus: tally(dataset.pedidos.map((p) => p.status)),
    envioStatus: tally(dataset.envios.map((e) => e.status)),
    metodos: tally(dataset.pagamentos.map((p) => p.metodo ?? 'null')),
  };
}
