import type { CallContext, EnvioValue, LogisticaPort } from '@dslab/checkout-contracts';
import { DEFAULT_ATTEMPTS, recordOperation, runTransaction, validationFailed } from '@dslab/checkout-kit';
import { AppError } from '@dslab/errors';
import type { Logger } from '@dslab/logging';
import type { EnvioRow, LogisticaStore } from '../adapters/store.js';
import { isId, MAX_ID, validateAgendamentoRequest, type AgendamentoRequest } from '../domain/agendamento.js';
import { ENVIO_INICIAL, transitionEnvio } from '../domain/envio.js';
import { generateCodigoRastreamento } from '../domain/rastreamento.js';

export interface LogisticaServiceDeps {
  readonly store: LogisticaStore;
  readonly logger: Logger;
  /**
   * Epoch ms; the source of data_despacho. Deadlines are on the Date.now() scale by contract
   * (CallContext) and are checked against Date.now().
   */
  readonly now: () => number;
  /** Uniform in [0, 1): draws the tracking codes. */
  readonly random: () => number;
  /** Codes drawn for one dispatch before giving up when each is taken (default 5). */
  readonly maxCodeTries?: number;
  /** Attempts of one dispatch when PostgreSQL reports a serialization failure or deadlock. */
  readonly maxAttempts?: number;
}

/** The answer of one call, and whether it was a replay (REST answers 200 instead of 201). */
export interface Agendamento {
  readonly envio: EnvioValue;
  readonly replayed: boolean;
}

export interface LogisticaService extends LogisticaPort {
  /** agendarEnvio, telling a replay from a new dispatch; validates `req` with the domain validator. */
  agendar(req: unknown, ctx: CallContext): Promise<Agendamento>;
  obterEnvio(id: number, ctx: CallContext): Promise<EnvioValue>;
}

export function toEnvioValue(row: EnvioRow): EnvioValue {
  return {
    envio_id: row.id,
    pedido_id: row.pedido_id,
    nota_fiscal_id: row.nota_fiscal_id,
    // The seed's file may hold NULLs here; the port's value is a string.
    codigo_rastreamento: row.codigo_rastreamento ?? '',
    status: row.status,
    data_despacho: row.data_despacho ?? '',
  };
}

function timeoutError(): AppError {
  return new AppError('timeout', 'O agendamento do envio não terminou dentro do prazo da requisição');
}

/**
 * The logistica application layer: one dispatch per order and per invoice, each with its own
 * tracking code. Every dispatch is one transaction holding the row and its operation; replays
 * (same order, same invoice) change nothing and record nothing.
 */
export function createLogisticaService(deps: LogisticaServiceDeps): LogisticaService {
  const { store, logger, now, random } = deps;
  const maxCodeTries = deps.maxCodeTries ?? 5;
  const maxAttempts = deps.maxAttempts ?? DEFAULT_ATTEMPTS;

  /*
   * A dispatch is created `aguardando_envio` (the domain's initial status) and, in this
   * synchronous chain, handed to the carrier at once: the seed's last step "finaliza o processo",
   * so the shipment is stored `enviado`, dispatched now, and pedidos moves the order to `enviado`.
   * The domain's transition rule is applied rather than the status written directly, so the
   * shortcut can never skip a rule the state machine holds.
   */
  const despachado = transitionEnvio(ENVIO_INICIAL, 'enviado');
  if (!despachado.ok) throw new Error(`envio state machine: ${despachado.reason}`);
  const STATUS_DESPACHADO = despachado.to;

  function replayOrConflict(row: EnvioRow, req: AgendamentoRequest): Agendamento {
    if (row.pedido_id === req.pedido_id) {
      if (row.nota_fiscal_id === req.nota_fiscal_id) return { envio: toEnvioValue(row), replayed: true };
      throw new AppError(
        'conflict',
        `O pedido ${req.pedido_id} já tem o envio ${row.id} com a nota fiscal ${row.nota_fiscal_id}; ` +
          `a nota fiscal ${req.nota_fiscal_id} não pode gerar um segundo envio`,
        { extensions: { envio_id: row.id, nota_fiscal_id: row.nota_fiscal_id } },
      );
    }
    throw new AppError(
      'conflict',
      `A nota fiscal ${req.nota_fiscal_id} já foi despachada para o pedido ${row.pedido_id} (envio ${row.id})`,
      { extensions: { envio_id: row.id, pedido_id: row.pedido_id } },
    );
  }

  /**
   * One dispatch in one transaction (runTransaction: bounded by the deadline, run again on a
   * serialization failure or a deadlock).
   */
  async function dispatch(
    req: AgendamentoRequest,
    ctx: CallContext,
  ): Promise<Agendamento & { readonly mensagem?: string }> {
    return runTransaction(
      store,
      ctx,
      async (trx) => {
        const existing =
          (await store.findByPedido(trx, req.pedido_id)) ?? (await store.findByNota(trx, req.nota_fiscal_id));
        if (existing !== undefined) return replayOrConflict(existing, req);

        const at = new Date(now()).toISOString();
        for (let tentativa = 1; tentativa <= maxCodeTries; tentativa++) {
          const codigo = generateCodigoRastreamento(random);
          const id = await store.insert(trx, {
            pedido_id: req.pedido_id,
            nota_fiscal_id: req.nota_fiscal_id,
            data_despacho: at,
            codigo_rastreamento: codigo,
            status: STATUS_DESPACHADO,
            numero_nota_fiscal: req.numero_nota_fiscal,
          });
          if (id === undefined) {
            // Nothing inserted: a racing twin took the order or the invoice, or the code is taken.
            const twin =
              (await store.findByPedido(trx, req.pedido_id)) ??
              (await store.findByNota(trx, req.nota_fiscal_id));
            if (twin !== undefined) return replayOrConflict(twin, req);
            continue;
          }
          const envio: EnvioValue = {
            envio_id: id,
            pedido_id: req.pedido_id,
            nota_fiscal_id: req.nota_fiscal_id,
            codigo_rastreamento: codigo,
            status: STATUS_DESPACHADO,
            data_despacho: at,
          };
          const mensagem = `Envio agendado para o pedido ${req.pedido_id}: ${codigo} (${req.numero_nota_fiscal})`;
          await recordOperation(trx, {
            operacao: 'envio_agendado',
            pedido_id: req.pedido_id,
            mensagem,
            detalhes: {
              envio_id: id,
              nota_fiscal_id: req.nota_fiscal_id,
              numero_nota_fiscal: req.numero_nota_fiscal,
              codigo_rastreamento: codigo,
              status: STATUS_DESPACHADO,
              codigos_sorteados: tentativa,
            },
            traceId: ctx.traceId,
            at,
          });
          return { envio, replayed: false, mensagem };
        }
        throw new AppError(
          'unavailable',
          `Nenhum dos ${maxCodeTries} códigos de rastreamento sorteados estava livre; tente novamente`,
        );
      },
      { timeout: timeoutError, maxAttempts },
    );
  }

  async function agendar(input: unknown, ctx: CallContext): Promise<Agendamento> {
    const validated = validateAgendamentoRequest(input);
    if (!validated.ok) throw validationFailed(validated.errors);
    const { mensagem, ...agendamento } = await dispatch(validated.value, ctx);
    if (mensagem !== undefined) logger.withTrace(ctx.traceId).info(mensagem);
    return agendamento;
  }

  return {
    agendar,

    async agendarEnvio(req, ctx) {
      return (await agendar(req, ctx)).envio;
    },

    async obterEnvio(id, ctx) {
      if (!isId(id))
        throw validationFailed([{ field: 'id', reason: `id must be an integer from 1 to ${MAX_ID}` }]);
      if (Date.now() >= ctx.deadline) throw timeoutError();
      const row = await store.findById(id);
      if (row === undefined) throw new AppError('not-found', `Envio ${id} não encontrado`);
      return toEnvioValue(row);
    },
  };
}
