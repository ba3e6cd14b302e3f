/**
 * In-memory neighbours for the orchestrator's tests: each keeps the state its real service keeps
 * (payments per order with voids, all-or-nothing reservations with released tombstones, one
 * invoice and one dispatch per order), and can be told to fail the way a network fails. The real
 * services, over both transports, are exercised by systems/checkout/e2e.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  CallContext,
  CatalogoPort,
  EstoquePort,
  FiscalPort,
  LogisticaPort,
  PagamentosPort,
  PagamentoStatusValue,
} from '@dslab/checkout-contracts';
import { AppError } from '@dslab/errors';
import type { Neighbours } from '../src/application/pedidos-service.js';

/** How a call fails: refused connection, a hang past the deadline, or a given error. */
export type Fault = 'down' | 'hang' | AppError | undefined;

async function apply(fault: Fault, target: string, ctx: CallContext): Promise<void> {
  if (fault === undefined) return;
  if (fault === 'down')
    throw new AppError('unavailable', `${target} is unavailable (ECONNREFUSED)`, {
      extensions: { not_delivered: true },
    });
  if (fault === 'hang') {
    await sleep(Math.max(0, ctx.deadline - Date.now()));
    throw new AppError('timeout', `${target} did not answer before the deadline`);
  }
  throw fault;
}

export function createNeighbours(options: {
  precos: Record<number, number>;
  estoque: Record<number, number>;
}) {
  const faults: Record<string, Fault> = {};
  /** Faults that apply after the effect (the call happened, the answer was lost). */
  const lostAnswers = new Set<string>();
  const calls: string[] = [];
  const pagamentos = new Map<number, { status: PagamentoStatusValue; anulado: boolean }>();
  const stock = new Map(Object.entries(options.estoque).map(([k, v]) => [Number(k), v]));
  const reservas = new Map<
    number,
    { status: 'separado' | 'liberado'; itens: { produto_id: number; quantidade: number }[] }
  >();
  const notas = new Map<number, { id: number; numero: string; valor: number }>();
  const envios = new Map<number, { codigo: string; nota_fiscal_id: number }>();
  let reject = false;

  async function step(name: string, ctx: CallContext, effect: () => void): Promise<void> {
    calls.push(name);
    if (lostAnswers.has(name)) {
      effect();
      await apply(faults[name] ?? 'hang', name, ctx);
      return;
    }
    await apply(faults[name], name, ctx);
    effect();
  }

  const catalogo: CatalogoPort = {
    listarProdutos() {
      return Promise.reject(new Error('not used by pedidos'));
    },
    async obterProdutos(ids, ctx) {
      await step('obterProdutos', ctx, () => undefined);
      return [...new Set(ids)]
        .filter((id) => options.precos[id] !== undefined)
        .sort((a, b) => a - b)
        .map((id) => ({ id, nome: `Produto ${id}`, preco_centavos: options.precos[id] ?? 0 }));
    },
  };

  const pagamentosPort: PagamentosPort = {
    async processar(req, ctx) {
      let answer = pagamentos.get(req.pedido_id);
      await step('processar', ctx, () => {
        if (answer === undefined) {
          answer = { status: reject ? 'rejeitado' : 'aprovado', anulado: false };
          pagamentos.set(req.pedido_id, answer);
        }
      });
      const status = answer?.status ?? 'rejeitado';
      return {
        pagamento_id: req.pedido_id,
        pedido_id: req.pedido_id,
        sucesso: status === 'aprovado',
        status,
        mensagem:
          answer?.anulado === true ? 'pagamento anulado antes do processamento' : `pagamento ${status}`,
        valor_centavos: req.valor_centavos,
        metodo: req.metodo,
        data_processamento: new Date().toISOString(),
      };
    },
    async estornar(req, ctx) {
      await step('estornar', ctx, () => {
        const current = pagamentos.get(req.pedido_id);
        if (current === undefined) pagamentos.set(req.pedido_id, { status: 'rejeitado', anulado: true });
        else if (current.status === 'aprovado') current.status = 'estornado';
      });
      return {
        pedido_id: req.pedido_id,
        status: pagamentos.get(req.pedido_id)?.status ?? 'rejeitado',
        mensagem: 'ok',
      };
    },
  };

  const estoque: EstoquePort = {
    async separar(req, ctx) {
      calls.push('separar');
      await apply(lostAnswers.has('separar') ? undefined : faults['separar'], 'separar', ctx);
      const existing = reservas.get(req.pedido_id);
      if (existing?.status === 'liberado') throw new AppError('reservation-conflict', 'released before');
      if (existing === undefined) {
        const faltas = req.itens.filter((i) => (stock.get(i.produto_id) ?? 0) < i.quantidade);
        if (faltas.length > 0)
          throw new AppError(
            'insufficient-stock',
            `not enough of ${faltas.map((f) => f.produto_id).join(', ')}`,
            {
              extensions: { faltas },
            },
          );
        for (const i of req.itens) stock.set(i.produto_id, (stock.get(i.produto_id) ?? 0) - i.quantidade);
        reservas.set(req.pedido_id, { status: 'separado', itens: [...req.itens] });
      }
      if (lostAnswers.has('separar')) await apply(faults['separar'] ?? 'hang', 'separar', ctx);
      return { pedido_id: req.pedido_id, status: 'separado', itens: [...req.itens], mensagem: 'ok' };
    },
    async liberar(req, ctx) {
      await step('liberar', ctx, () => {
        const existing = reservas.get(req.pedido_id);
        if (existing === undefined) reservas.set(req.pedido_id, { status: 'liberado', itens: [] });
        else if (existing.status === 'separado') {
          for (const i of existing.itens)
            stock.set(i.produto_id, (stock.get(i.produto_id) ?? 0) + i.quantidade);
          existing.status = 'liberado';
        }
      });
      return { pedido_id: req.pedido_id, status: 'liberado', itens: [], mensagem: 'ok' };
    },
    consultar() {
      return Promise.reject(new Error('not used by pedidos'));
    },
  };

  const fiscal: FiscalPort = {
    async emitir(req, ctx) {
      await step('emitir', ctx, () => {
        if (!notas.has(req.pedido_id))
          notas.set(req.pedido_id, {
            id: notas.size + 1,
            numero: `NF${notas.size + 1}-${req.pedido_id}`,
            valor: req.valor_centavos,
          });
      });
      const nota = notas.get(req.pedido_id);
      if (nota === undefined) throw new Error('unreachable');
      return {
        nota_fiscal_id: nota.id,
        pedido_id: req.pedido_id,
        numero: nota.numero,
        chave_acesso: '0'.repeat(44),
        data_emissao: new Date().toISOString(),
        valor_centavos: nota.valor,
      };
    },
  };

  const logistica: LogisticaPort = {
    async agendarEnvio(req, ctx) {
      await step('agendarEnvio', ctx, () => {
        if (!envios.has(req.pedido_id))
          envios.set(req.pedido_id, {
            codigo: `BR${String(100_000_000 + req.pedido_id)}PY`,
            nota_fiscal_id: req.nota_fiscal_id,
          });
      });
      const envio = envios.get(req.pedido_id);
      if (envio === undefined) throw new Error('unreachable');
      return {
        envio_id: req.pedido_id,
        pedido_id: req.pedido_id,
        nota_fiscal_id: envio.nota_fiscal_id,
        codigo_rastreamento: envio.codigo,
        status: 'enviado',
        data_despacho: new Date().toISOString(),
      };
    },
  };

  const neighbours: Neighbours = { catalogo, pagamentos: pagamentosPort, estoque, fiscal, logistica };
  return {
    neighbours,
    calls,
    pagamentos,
    stock,
    reservas,
    notas,
    envios,
    /** Makes `call` fail (before its effect) until healed. */
    fail(call: string, fault: Fault) {
      faults[call] = fault;
    },
    /** Makes `call` do its effect and then lose the answer (a hang, or the given fault). */
    loseAnswer(call: string, fault?: Fault) {
      lostAnswers.add(call);
      faults[call] = fault;
    },
    heal(call: string) {
      faults[call] = undefined;
      lostAnswers.delete(call);
    },
    rejectPayments(on: boolean) {
      reject = on;
    },
  };
}
