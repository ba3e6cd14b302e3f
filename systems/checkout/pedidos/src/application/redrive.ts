/**
 * Stalled orders of the asynchronous checkout (seed 004) recover without an operator: an order
 * placed here that is not final and has not changed for a while had its command or its answer
 * lost somewhere (the embedded mode's in-memory queues die with the process, a dead-letter queue
 * was deleted, a bug), so the command it waits for (domain/redrive.ts) is sent again.
 *
 * Per order, ONE transaction (retried on transient failures): the next candidate is read (on
 * PostgreSQL `FOR UPDATE SKIP LOCKED`, so several sweepers, one per worker process, share the
 * work), the owed command is enqueued under a NEW message id `pedidos:<id>:<TIPO>:reenvio-<n>`
 * (the step worker skips ids it processed, so a new one makes it run its idempotent step again and
 * answer with its deterministic event id; the orchestrator's inbox drops that answer if it had it),
 * `tentativas` + 1 and `atualizado_em` = now are written, and an `etapa_reenviada` history row.
 * After the sweep the relay is woken and each re-send is logged at warn.
 *
 * An order is stalled when untouched for `olderThanMs × 2^min(tentativas, 6)`: each re-send of one
 * step doubles the wait before the next (the saga resets `tentativas` to 0 whenever the order
 * moves on). After `maxRedrives` re-sends of one step with no answer the order is left to an
 * operator: one `reenvio_esgotado` row, one error line, never looked at again until it moves.
 * A message of the order still in the outbox is not lost (the broker did not take it yet): such an
 * order is passed over.
 */
import { randomBytes } from 'node:crypto';
import type { CallContext } from '@dslab/checkout-contracts';
import { destinationOf } from '@dslab/checkout-contracts/messages';
import { DEFAULT_QUEUE_PREFIX, recordOperation, runTransaction } from '@dslab/checkout-kit';
import type { Database } from '@dslab/db';
import { AppError } from '@dslab/errors';
import type { Logger } from '@dslab/logging';
import { enqueue, wasProcessed, type OutboxRelay } from '@dslab/outbox';
import type { Transaction } from 'kysely';
import { createSagaStore, ORCHESTRATOR_CONSUMER, sagaStateOf } from '../adapters/saga-store.js';
import type { PedidosTables } from '../adapters/schema.js';
import {
  exhaustedMessage,
  MAX_BACKOFF_EXPONENT,
  owedCommandOf,
  owedStepOf,
  redriveMessage,
  redriveMessageId,
  stallThresholdMs,
} from '../domain/redrive.js';

/** Re-sends of one step before the order is left to an operator. */
export const DEFAULT_MAX_REDRIVES = 10;
/** An order untouched this long (× the back-off) is stalled. */
export const DEFAULT_STALL_AFTER_MS = 120_000;
/** How often the orchestrator sweeps. */
export const DEFAULT_SWEEP_INTERVAL_MS = 30_000;
/** Orders looked at per periodic sweep. */
export const DEFAULT_SWEEP_LIMIT = 1000;

export interface RedriveDeps {
  readonly database: Pick<Database<PedidosTables>, 'db' | 'engine'>;
  /** pedidos' relay: woken after a sweep that enqueued. */
  readonly relay: Pick<OutboxRelay, 'wake'>;
  readonly logger: Logger;
  readonly queuePrefix?: string;
  /** Re-sends of one step before giving up (default 10). */
  readonly maxRedrives?: number;
  /** Wall clock, epoch ms (default Date.now). */
  readonly now?: () => number;
  /** Budget of one order's transaction (default 30 000 ms). */
  readonly transactionTimeoutMs?: number;
}

export interface RedriveOptions {
  /** Stalled after this long untouched (× 2^min(tentativas, 6)); 0: every order not final. */
  readonly olderThanMs: number;
  /** Orders looked at, at most (default: all the stalled ones). */
  readonly limit?: number;
  /** Stops the sweep between two orders. */
  readonly signal?: AbortSignal;
}

export interface RedriveResult {
  /** Orders whose owed command was sent again. */
  readonly redriven: number;
  /** Orders left to an operator in this sweep (re-sends used up, or nothing that can be sent). */
  readonly abandoned: number;
  /** Stalled orders passed over: a message of theirs still waits in the outbox. */
  readonly waiting: number;
}

type Outcome =
  | { readonly kind: 'none' }
  | { readonly kind: 'skipped'; readonly id: number }
  | { readonly kind: 'waiting'; readonly id: number }
  | {
      readonly kind: 'redriven' | 'abandoned';
      readonly id: number;
      readonly mensagem: string;
      readonly traceId: string;
    };

const newTraceId = () => randomBytes(16).toString('hex');

export function createRedriver(deps: RedriveDeps) {
  const { database, relay, logger } = deps;
  const prefix = deps.queuePrefix ?? DEFAULT_QUEUE_PREFIX;
  const maxRedrives = deps.maxRedrives ?? DEFAULT_MAX_REDRIVES;
  const now = deps.now ?? Date.now;
  const budgetMs = deps.transactionTimeoutMs ?? 30_000;
  const store = createSagaStore(database.engine);

  /** Looks at the next stalled order after `afterId` and redrives it (or gives up on it). */
  async function nextIn(
    trx: Transaction<PedidosTables>,
    afterId: number,
    cutoffs: string[],
  ): Promise<Outcome> {
    const found = await store.nextStalled(trx, { afterId, cutoffs, maxTentativas: maxRedrives });
    if (found === undefined) return { kind: 'none' };
    const row = found;
    const id = row.id;
    if (await store.outboxHolds(trx, id)) return { kind: 'waiting', id };
    const at = new Date(now()).toISOString();
    const since = row.atualizado_em;
    const traceId = (await store.traceIdOf(trx, id)) ?? newTraceId();
    const state = sagaStateOf(row, await store.itensOf(trx, id));

    /** Leaves the order to an operator: never looked at again until the saga moves it. */
    async function abandon(operacao: string, mensagem: string, detalhes: Record<string, unknown>) {
      if (!(await store.markRedrive(trx, row, { tentativas: maxRedrives + 1 })))
        return { kind: 'skipped', id } as const;
      await recordOperation(trx, { operacao, pedido_id: id, mensagem, detalhes, traceId, at });
      return { kind: 'abandoned', id, mensagem, traceId } as const;
    }

    if ('invalid' in state)
      return abandon(
        'reenvio_impossivel',
        `Pedido ${id} parado em ${row.status} desde ${since}, mas não pode ser reenviado (${state.invalid}); aguardando intervenção`,
        { status: row.status, erro: state.invalid },
      );
    // estoque's answer has the deterministic id messageIdOf gives it: `estoque:<id>:ESTOQUE_VERIFICADO`.
    const stockChecked =
      state.status === 'pendente' &&
      (await wasProcessed(trx, ORCHESTRATOR_CONSUMER, `estoque:${id}:ESTOQUE_VERIFICADO`));
    const envelope = { traceId, at };
    const command = owedCommandOf(state, { stockChecked }, envelope);
    if (command === undefined)
      return abandon(
        'reenvio_impossivel',
        `Pedido ${id} parado em ${row.status} desde ${since}, mas não espera resposta de nenhum comando; aguardando intervenção`,
        { status: row.status, compensacao: state.compensacao },
      );
    if (row.tentativas >= maxRedrives)
      return abandon('reenvio_esgotado', exhaustedMessage(state, command.tipo, since, maxRedrives), {
        status: row.status,
        comando: command.tipo,
        tentativas: row.tentativas,
      });

    const attempt = row.tentativas + 1;
    if (!(await store.markRedrive(trx, row, { tentativas: attempt, atualizado_em: at })))
      return { kind: 'skipped', id };
    await enqueue(
      trx,
      [
        {
          queue: destinationOf(command, prefix),
          messageId: redriveMessageId(command, attempt),
          body: command,
        },
      ],
      at,
    );
    const mensagem = redriveMessage(state, command, since, attempt);
    await recordOperation(trx, {
      operacao: 'etapa_reenviada',
      pedido_id: id,
      mensagem,
      detalhes: {
        status: row.status,
        comando: command.tipo,
        tentativa: attempt,
        parado_desde: since,
        esperado: owedStepOf(state, { stockChecked }),
      },
      traceId: envelope.traceId,
      at,
    });
    return { kind: 'redriven', id, mensagem, traceId: envelope.traceId };
  }

  /**
   * One sweep: every stalled order (up to `limit`), lowest id first, each in its own
   * transaction. Answers what it did; the relay is woken when something was enqueued.
   */
  async function redriveStalled(options: RedriveOptions): Promise<RedriveResult> {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const started = now();
    // Computed once: an order redriven in this sweep is newer than every cutoff.
    const cutoffs = Array.from({ length: MAX_BACKOFF_EXPONENT + 1 }, (_, k) =>
      new Date(started - stallThresholdMs(options.olderThanMs, k)).toISOString(),
    );
    let afterId = 0;
    let seen = 0;
    const counts = { redriven: 0, abandoned: 0, waiting: 0 };
    try {
      while (seen < limit && options.signal?.aborted !== true) {
        const ctx: CallContext = { deadline: Date.now() + budgetMs, traceId: newTraceId() };
        const outcome = await runTransaction(database, ctx, (trx) => nextIn(trx, afterId, cutoffs), {
          timeout: () => new AppError('timeout', 'a busca por pedidos parados não terminou a tempo'),
        });
        if (outcome.kind === 'none') break;
        afterId = outcome.id;
        seen++;
        switch (outcome.kind) {
          case 'waiting':
            counts.waiting++;
            break;
          case 'redriven':
            counts.redriven++;
            logger.withTrace(outcome.traceId).warn(outcome.mensagem);
            break;
          case 'abandoned':
            counts.abandoned++;
            logger.withTrace(outcome.traceId).error(outcome.mensagem);
            break;
          case 'skipped':
            break;
        }
      }
    } finally {
      if (counts.redriven > 0) relay.wake();
    }
    if (counts.redriven + counts.abandoned > 0)
      logger.info(
        `Pedidos parados: ${counts.redriven} reenviado(s), ${counts.abandoned} deixado(s) para intervenção` +
          (counts.waiting > 0 ? `, ${counts.waiting} com mensagem ainda na outbox` : ''),
      );
    return counts;
  }

  return { redriveStalled };
}

export type Redriver = ReturnType<typeof createRedriver>;
