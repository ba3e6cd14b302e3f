/**
 * The dead letters of the asynchronous checkout's five queues: what `npm run checkout -- dlq`
 * prints (per queue: how many, and each one's message id, when, after how many attempts, why,
 * and the start of its body) and, with --replay, moves back to its queue once the cause is fixed
 * (the consumers are idempotent, so a replay of something that did happen changes nothing).
 */
import { ASYNC_SERVICES, queueOf } from '@dslab/checkout-contracts/messages';
import { createLogger } from '@dslab/logging';
import { createAmqpBus, deadLetterQueueName, type DeadLetter, type MessageBus } from '@dslab/messaging';
import { redactUrl } from './redact.js';

export const DEFAULT_DLQ_LIMIT = 100;
export const MAX_DLQ_LIMIT = 10_000;

/** The five work queues under `prefix`: pedidos' events, then each service's commands. */
export function checkoutQueues(prefix: string): string[] {
  return ASYNC_SERVICES.map((service) => queueOf(service, prefix));
}

/** A dead letter's body, shortened for one line. */
function excerpt(content: Buffer, max = 200): string {
  const text = content.toString('utf8').replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The report of one queue's dead letters (`letters` read with `limit`). */
export function deadLetterReport(queue: string, letters: readonly DeadLetter[], limit: number): string {
  const name = deadLetterQueueName(queue);
  if (letters.length === 0) return `${name}: empty`;
  return [
    `${name}: ${letters.length}${letters.length >= limit ? ` (first ${limit}; --limit shows more)` : ''}`,
    ...letters.map(
      (letter) =>
        `  ${letter.messageId}  ${letter.deadAt ?? '?'}  after ${letter.attempts} attempt(s): ${letter.reason}\n` +
        `    ${excerpt(letter.content)}`,
    ),
  ].join('\n');
}

export interface DlqOptions {
  readonly queuePrefix: string;
  readonly limit: number;
  readonly replay: boolean;
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
    write(`${deadLetterReport(queue, letters, options.limit)}\n`);
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
      `checkout: cannot reach RabbitMQ at ${redactUrl(amqpUrl)}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    logger.close();
    return 1;
  }
  try {
    out(`Dead letters of the checkout's queues (${options.queuePrefix}.*) at ${redactUrl(amqpUrl)}:\n`);
    const outcome = await inspectDeadLetters(bus, options, out);
    if (!options.replay && outcome.found > 0)
      out('Move them back to their queues once the cause is fixed: npm run checkout -- dlq --replay\n');
    return 0;
  } finally {
    await bus.close();
    logger.close();
  }
}
