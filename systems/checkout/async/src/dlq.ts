/**
 * The dead letters of the asynchronous checkout's five queues: what `npm run checkout -- dlq`
 * prints (per queue: how many, and each one's message id, when, after how many attempts, why,
 * and the start of its body) and, with --replay, moves back to its queue once the cause is fixed
 * (the consumers are idempotent, so a replay of something that did happen changes nothing).
 */
import { ASYNC_SERVICES, queueOf } from '@dslab/checkout-contracts/messages';
import { deadLetterQueueReport, redactPassword, type DlqFlags } from '@dslab/launcher';
import { createLogger } from '@dslab/logging';
import { createAmqpBus, deadLetterQueueName, type MessageBus } from '@dslab/messaging';

/** The five work queues under `prefix`: pedidos' events, then each service's commands. */
export function checkoutQueues(prefix: string): string[] {
  return ASYNC_SERVICES.map((service) => queueOf(service, prefix));
}

export interface DlqOptions extends DlqFlags {
  readonly queuePrefix: string;
}

export interface DlqOutcome {
  /** Dead letters seen (at most `limit` per queue). */
  readonly found: number;
  readonly replayed: number;
}

/** Prints each queue's report through `write` and, with `replay`, moves the letters back. */
export async function inspectDeadLetters(
  bus: Pick<MessageBus, 'peekDeadLetters' | 'replayDeadLetters'>,
  options: DlqOptions,
  write: (text: string) => void,
): Promise<DlqOutcome> {
  let found = 0;
  let replayed = 0;
  for (const queue of checkoutQueues(options.queuePrefix)) {
    const letters = await bus.peekDeadLetters(queue, options.limit);
    found += letters.length;
    write(`${deadLetterQueueReport(deadLetterQueueName(queue), letters, options.limit)}\n`);
    if (options.replay && letters.length > 0) {
      const moved = await bus.replayDeadLetters(queue, options.limit);
      replayed += moved;
      write(`  replayed ${moved} to ${queue}\n`);
    }
  }
  return { found, replayed };
}

/**
 * The command's whole run: connects to `amqpUrl`, prints the reports (and replays), closes.
 * Answers the exit code: 0 done, 1 the broker could not be reached.
 */
export async function runDeadLetterCommand(
  amqpUrl: string,
  options: DlqOptions,
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  const logger = createLogger({ service: 'checkout-dlq', level: 'warn' });
  let bus: MessageBus;
  try {
    bus = await createAmqpBus({
      url: amqpUrl,
      connectionName: 'checkout-dlq',
      logger,
      connectTimeoutMs: 5000,
    });
  } catch (error) {
    err(
      `checkout: cannot reach RabbitMQ at ${redactPassword(amqpUrl)}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    logger.close();
    return 1;
  }
  try {
    out(`Dead letters of the checkout's queues (${options.queuePrefix}.*) at ${redactPassword(amqpUrl)}:\n`);
    const outcome = await inspectDeadLetters(bus, options, out);
    if (!options.replay && outcome.found > 0)
      out('Move them back to their queues once the cause is fixed: npm run checkout -- dlq --replay\n');
    return 0;
  } finally {
    await bus.close();
    logger.close();
  }
}
