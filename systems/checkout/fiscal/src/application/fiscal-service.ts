import type { CallContext, FiscalPort, NotaFiscalValue } from '@dslab/checkout-contracts';
import {
  DEFAULT_ATTEMPTS,
  formatReais,
  recordOperation,
  runTransaction,
  validationFailed,
} from '@dslab/checkout-kit';
import { AppError } from '@dslab/errors';
import type { Logger } from '@dslab/logging';
import type { NotaFiscalRow, FiscalStore } from '../adapters/store.js';
import { buildChaveAcesso, generateCodigoNumerico, MODELO_NFE } from '../domain/chave-acesso.js';
import { isId, MAX_ID, validateEmissaoRequest, type EmissaoRequest } from '../domain/emissao.js';
import { formatNumeroNf, nextNumeroNf } from '../domain/numero.js';

/** Who issues the invoices: the parts of every chave de acesso that come from configuration. */
export interface Emitente {
  /** IBGE code of the issuer's state (FISCAL_UF). */
  readonly cUF: number;
  /** 14 digits (FISCAL_CNPJ). */
  readonly cnpj: string;
  /** The série new invoices are numbered on (FISCAL_SERIE). */
  readonly serie: number;
}

export interface FiscalServiceDeps {
  readonly store: FiscalStore;
  readonly logger: Logger;
  /**
   * Epoch ms; the source of data_emissao and of the key's AAMM. Deadlines are on the Date.now()
   * scale by contract (CallContext) and are checked against Date.now().
   */
  readonly now: () => number;
  /** Uniform in [0, 1): draws each key's cNF. */
  readonly random: () => number;
  readonly emitente: Emitente;
  /** Attempts of one emission when PostgreSQL reports a serialization failure or deadlock. */
  readonly maxAttempts?: number;
}

/** The answer of one emission, and whether it was a replay (REST answers 200 instead of 201). */
export interface Emissao {
  readonly nota: NotaFiscalValue;
  readonly replayed: boolean;
}

export interface FiscalService extends FiscalPort {
  /** emitir, telling a replay from a new invoice; validates `req` with the domain validator. */
  emitirNotaFiscal(req: unknown, ctx: CallContext): Promise<Emissao>;
  obterNotaFiscal(id: number, ctx: CallContext): Promise<NotaFiscalValue>;
}

/** A twin's claim vanished between our insert and our read (it rolled back): run again. */
class ClaimLost extends Error {}

export function toNotaFiscalValue(row: NotaFiscalRow): NotaFiscalValue {
  return {
    nota_fiscal_id: row.id,
    pedido_id: row.pedido_id,
    numero: row.numero,
    // The seed's file may hold NULL here; the port's value is a string.
    chave_acesso: row.chave_acesso ?? '',
    data_emissao: row.data_emissao,
    valor_centavos: row.valor_centavos,
  };
}

function timeoutError(): AppError {
  return new AppError('timeout', 'A emissão da nota fiscal não terminou dentro do prazo da requisição');
}

/**
 * The fiscal application layer: one invoice per order, numbered gap-free on a série, with a real
 * 44-digit chave de acesso. Every emission is one transaction that holds the invoice, its number
 * and its operation row; replays (same order, same total) change nothing and record nothing.
 */
export function createFiscalService(deps: FiscalServiceDeps): FiscalService {
  const { store, logger, now, random, emitente } = deps;
  const maxAttempts = deps.maxAttempts ?? DEFAULT_ATTEMPTS;

  function checkDeadline(ctx: CallContext): void {
    if (Date.now() >= ctx.deadline) throw timeoutError();
  }

  function replayOrConflict(row: NotaFiscalRow, req: EmissaoRequest): Emissao {
    const nota = toNotaFiscalValue(row);
    if (nota.valor_centavos === req.valor_centavos) return { nota, replayed: true };
    throw new AppError(
      'conflict',
      `O pedido ${req.pedido_id} já tem a nota fiscal ${nota.numero} de ${formatReais(nota.valor_centavos)}; ` +
        `outra de ${formatReais(req.valor_centavos)} não pode ser emitida`,
      { extensions: { nota_fiscal_id: nota.nota_fiscal_id, numero: nota.numero } },
    );
  }

  /**
   * One emission in one transaction (runTransaction: bounded by the deadline, run again on a
   * serialization failure, a deadlock or a lost claim).
   */
  async function emit(
    req: EmissaoRequest,
    ctx: CallContext,
  ): Promise<Emissao & { readonly mensagem?: string }> {
    return runTransaction(
      store,
      ctx,
      async (trx) => {
        const existing = await store.findByPedido(trx, req.pedido_id);
        if (existing !== undefined) return replayOrConflict(existing, req);

        const at = now();
        const data_emissao = new Date(at).toISOString();
        // Claim the order's row first, then take the number: a racing twin stops at the claim
        // and never consumes (or leaves a gap in) the série.
        const id = await store.claim(trx, {
          pedido_id: req.pedido_id,
          valor_centavos: req.valor_centavos,
          itens: JSON.stringify(req.itens),
          data_emissao,
        });
        if (id === undefined) {
          const twin = await store.findByPedido(trx, req.pedido_id);
          if (twin === undefined) throw new ClaimLost();
          return replayOrConflict(twin, req);
        }

        let last = await store.takeNumber(trx, emitente.serie);
        if (last === undefined) {
          await store.ensureSerie(trx, emitente.serie);
          last = await store.takeNumber(trx, emitente.serie);
        }
        const next = nextNumeroNf(last === undefined ? undefined : last - 1);
        if (last === undefined || !next.ok)
          // Throwing rolls the increment back: the série stays at its last number.
          throw new AppError('conflict', 'série de notas fiscais esgotada', {
            extensions: { serie: emitente.serie },
          });

        const emitida = new Date(at);
        const chave = buildChaveAcesso({
          cUF: emitente.cUF,
          ano: emitida.getUTCFullYear(),
          mes: emitida.getUTCMonth() + 1,
          cnpj: emitente.cnpj,
          modelo: MODELO_NFE,
          serie: emitente.serie,
          nNF: next.nNF,
          tpEmis: 1,
          cNF: generateCodigoNumerico(random),
        });
        if (!chave.ok)
          throw new AppError('internal', 'A chave de acesso não pôde ser montada', {
            cause: new Error(chave.errors.map((e) => `${e.field}: ${e.reason}`).join('; ')),
          });
        const numero = formatNumeroNf(next.nNF, req.pedido_id);
        await store.complete(trx, id, {
          numero,
          chave_acesso: chave.value,
          serie: emitente.serie,
          nnf: next.nNF,
        });
        const nota: NotaFiscalValue = {
          nota_fiscal_id: id,
          pedido_id: req.pedido_id,
          numero,
          chave_acesso: chave.value,
          data_emissao,
          valor_centavos: req.valor_centavos,
        };
        const mensagem = `Nota fiscal ${numero} emitida para o pedido ${req.pedido_id} (${formatReais(req.valor_centavos)})`;
        await recordOperation(trx, {
          operacao: 'nota_fiscal_emitida',
          pedido_id: req.pedido_id,
          mensagem,
          detalhes: {
            nota_fiscal_id: id,
            numero,
            chave_acesso: chave.value,
            serie: emitente.serie,
            nnf: next.nNF,
            valor_centavos: req.valor_centavos,
            itens: req.itens,
          },
          traceId: ctx.traceId,
          at: data_emissao,
        });
        return { nota, replayed: false, mensagem };
      },
      { timeout: timeoutError, maxAttempts, retryIf: (error) => error instanceof ClaimLost },
    );
  }

  async function emitirNotaFiscal(input: unknown, ctx: CallContext): Promise<Emissao> {
    const validated = validateEmissaoRequest(input);
    if (!validated.ok) throw validationFailed(validated.errors);
    const { mensagem, ...emissao } = await emit(validated.value, ctx);
    if (mensagem !== undefined) logger.withTrace(ctx.traceId).info(mensagem);
    return emissao;
  }

  return {
    emitirNotaFiscal,

    async emitir(req, ctx) {
      return (await emitirNotaFiscal(req, ctx)).nota;
    },

    async obterNotaFiscal(id, ctx) {
      if (!isId(id))
        throw validationFailed([{ field: 'id', reason: `id must be an integer from 1 to ${MAX_ID}` }]);
      checkDeadline(ctx);
      const row = await store.findById(id);
      if (row === undefined) throw new AppError('not-found', `Nota fiscal ${id} não encontrada`);
      return toNotaFiscalValue(row);
    },
  };
}
