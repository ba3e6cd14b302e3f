/**
 * The rules a generated data set keeps (the seed's semantics with its bugs fixed). Returns one
 * message per broken rule, so a loader or a test can say exactly what is wrong with a file.
 */
import { isValidEan13 } from './ean.js';
import { GENERATED_PEDIDO_STATUSES, WINDOW_DAYS } from './generate.js';
import {
  CATEGORIAS,
  ENVIO_STATUSES,
  PAGAMENTO_METODOS,
  toCentavos,
  type Dataset,
  type TableName,
} from './schema.js';

const DAY_MS = 86_400_000;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const PRODUCT_NAME = new RegExp(`^Produto \\S.* (${CATEGORIAS.join('|')})$`);

/** Checks every invariant of a data set generated with reference time `nowMs`; [] when all hold. */
export function findViolations(dataset: Dataset, nowMs: number): string[] {
  const problems: string[] = [];
  const fail = (message: string) => {
    if (problems.length < 50) problems.push(message);
  };
  const when = (iso: string, what: string, windowDays: number): number => {
    const ms = Date.parse(iso);
    if (!ISO_UTC.test(iso) || !Number.isFinite(ms)) fail(`${what}: not a UTC ISO time: ${iso}`);
    else if (ms > nowMs || ms < nowMs - windowDays * DAY_MS) fail(`${what}: ${iso} outside its window`);
    return ms;
  };

  for (const name of Object.keys(dataset) as TableName[]) {
    dataset[name].forEach((row, index) => {
      if (row.id !== index + 1) fail(`${name}: id ${row.id} at position ${index + 1}`);
    });
  }

  const emails = new Set<string>();
  for (const c of dataset.clientes) {
    if (emails.has(c.email)) fail(`clientes ${c.id}: duplicate e-mail ${c.email}`);
    emails.add(c.email);
    if (!/^cliente_\d+_[a-z0-9._-]+@exemplo\.com$/.test(c.email)) fail(`clientes ${c.id}: e-mail ${c.email}`);
    if (c.nome.trim() === '') fail(`clientes ${c.id}: empty nome`);
  }

  const produtos = new Map(dataset.produtos.map((p) => [p.id, p]));
  for (const p of dataset.produtos) {
    if (!PRODUCT_NAME.test(p.nome)) fail(`produtos ${p.id}: nome "${p.nome}"`);
    if (p.preco < 10.5 || p.preco > 500.99 || toCentavos(p.preco) / 100 !== p.preco) {
      fail(`produtos ${p.id}: preco ${p.preco}`);
    }
    if (!Number.isInteger(p.quantidade_estoque) || p.quantidade_estoque < 0 || p.quantidade_estoque > 100) {
      fail(`produtos ${p.id}: quantidade_estoque ${p.quantidade_estoque}`);
    }
  }

  const clienteIds = new Set(dataset.clientes.map((c) => c.id));
  const itemsByPedido = new Map<number, { count: number; centavos: number }>();
  for (const item of dataset.itens_pedido) {
    const produto = produtos.get(item.produto_id);
    if (produto === undefined) fail(`itens_pedido ${item.id}: unknown produto ${item.produto_id}`);
    else if (produto.preco !== item.preco_unitario) fail(`itens_pedido ${item.id}: preco_unitario ≠ preco`);
    if (!Number.isInteger(item.quantidade) || item.quantidade < 1 || item.quantidade > 3) {
      fail(`itens_pedido ${item.id}: quantidade ${item.quantidade}`);
    }
    const sum = itemsByPedido.get(item.pedido_id) ?? { count: 0, centavos: 0 };
    sum.count += 1;
    sum.centavos += item.quantidade * toCentavos(item.preco_unitario);
    itemsByPedido.set(item.pedido_id, sum);
  }

  const pedidos = new Map(dataset.pedidos.map((p) => [p.id, p]));
  const criado = new Map<number, number>();
  for (const p of dataset.pedidos) {
    if (!clienteIds.has(p.cliente_id)) fail(`pedidos ${p.id}: unknown cliente ${p.cliente_id}`);
    if (!(GENERATED_PEDIDO_STATUSES as readonly string[]).includes(p.status)) {
      fail(`pedidos ${p.id}: status ${p.status}`);
    }
    criado.set(p.id, when(p.data_criacao, `pedidos ${p.id}`, WINDOW_DAYS.pedido));
    const items = itemsByPedido.get(p.id) ?? { count: 0, centavos: 0 };
    if (items.count < 1 || items.count > 5) fail(`pedidos ${p.id}: ${items.count} items`);
    if (p.valor_total === null || toCentavos(p.valor_total) !== items.centavos) {
      fail(`pedidos ${p.id}: valor_total ${String(p.valor_total)} ≠ items ${items.centavos / 100}`);
    }
    if (p.valor_total !== null && p.valor_total !== toCentavos(p.valor_total) / 100) {
      fail(`pedidos ${p.id}: valor_total ${p.valor_total} has more than 2 decimals`);
    }
  }
  for (const pedidoId of itemsByPedido.keys()) {
    if (!pedidos.has(pedidoId)) fail(`itens_pedido: unknown pedido ${pedidoId}`);
  }

  const pagamentos = new Map<number, { status: string; ms: number }>();
  for (const pg of dataset.pagamentos) {
    if (!pedidos.has(pg.pedido_id)) fail(`pagamentos ${pg.id}: unknown pedido ${pg.pedido_id}`);
    if (pagamentos.has(pg.pedido_id)) fail(`pagamentos ${pg.id}: second payment for pedido ${pg.pedido_id}`);
    if (pg.status !== 'aprovado' && pg.status !== 'rejeitado')
      fail(`pagamentos ${pg.id}: status ${pg.status}`);
    if (!(PAGAMENTO_METODOS as readonly (string | null)[]).includes(pg.metodo)) {
      fail(`pagamentos ${pg.id}: metodo ${String(pg.metodo)}`);
    }
    const ms = when(pg.data_processamento, `pagamentos ${pg.id}`, WINDOW_DAYS.pagamento);
    if (ms < (criado.get(pg.pedido_id) ?? -Infinity)) fail(`pagamentos ${pg.id}: before the order`);
    pagamentos.set(pg.pedido_id, { status: pg.status, ms });
  }

  const notas = new Map<number, { id: number; ms: number }>();
  const numeros = new Set<string>();
  for (const nf of dataset.notas_fiscais) {
    const pagamento = pagamentos.get(nf.pedido_id);
    if (pagamento?.status !== 'aprovado') fail(`notas_fiscais ${nf.id}: pedido ${nf.pedido_id} not approved`);
    if (notas.has(nf.pedido_id)) fail(`notas_fiscais ${nf.id}: second invoice for pedido ${nf.pedido_id}`);
    if (numeros.has(nf.numero)) fail(`notas_fiscais ${nf.id}: duplicate numero ${nf.numero}`);
    numeros.add(nf.numero);
    if (!new RegExp(`^NF\\d{5}-${nf.pedido_id}$`).test(nf.numero))
      fail(`notas_fiscais ${nf.id}: ${nf.numero}`);
    const chave = nf.chave_acesso ?? '';
    const eans = [chave.slice(0, 13), chave.slice(13, 26), chave.slice(26)];
    if (chave.length !== 39 || !eans.every(isValidEan13)) fail(`notas_fiscais ${nf.id}: chave ${chave}`);
    const ms = when(nf.data_emissao, `notas_fiscais ${nf.id}`, WINDOW_DAYS.notaFiscal);
    if (ms < (pagamento?.ms ?? Infinity)) fail(`notas_fiscais ${nf.id}: before the payment`);
    notas.set(nf.pedido_id, { id: nf.id, ms });
  }

  const envios = new Map<number, string>();
  for (const e of dataset.envios) {
    const nota = notas.get(e.pedido_id);
    if (nota === undefined) fail(`envios ${e.id}: pedido ${e.pedido_id} has no invoice`);
    else if (nota.id !== e.nota_fiscal_id) fail(`envios ${e.id}: nota_fiscal_id of another order`);
    if (envios.has(e.pedido_id)) fail(`envios ${e.id}: second dispatch for pedido ${e.pedido_id}`);
    if (!(ENVIO_STATUSES as readonly string[]).includes(e.status)) fail(`envios ${e.id}: status ${e.status}`);
    if (!/^BR\d{9}PY$/.test(e.codigo_rastreamento ?? '')) fail(`envios ${e.id}: rastreio`);
    const ms = when(e.data_despacho ?? '', `envios ${e.id}`, WINDOW_DAYS.envio);
    if (ms < (nota?.ms ?? Infinity)) fail(`envios ${e.id}: before the invoice`);
    envios.set(e.pedido_id, e.status);
  }
  const notaIds = dataset.envios.map((e) => e.nota_fiscal_id);
  if (new Set(notaIds).size !== notaIds.length) fail('envios: a nota_fiscal_id used twice');

  for (const p of dataset.pedidos) {
    const envio = envios.get(p.id);
    const expected =
      envio === 'enviado' || envio === 'entregue'
        ? envio
        : notas.has(p.id)
          ? 'nf_emitida'
          : pagamentos.get(p.id)?.status === 'aprovado'
            ? 'pagamento_aprovado'
            : 'pendente';
    if (p.status !== expected) fail(`pedidos ${p.id}: status ${p.status}, expected ${expected}`);
  }
  return problems;
}
