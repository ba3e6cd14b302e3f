import { AppError } from '@dslab/errors';
import {
  attemptOf,
  DEFAULT_CANCEL_TIMEOUT_MS,
  DEFAULT_PEEK_LIMIT,
  DEFAULT_PREFETCH,
  deadLetterQueueName,
  encodeBody,
  errorMessage,
  isPoisonMessage,
  PUBLISHED_AT_HEADER,
  resolveQueueOptions,
  settledWithin,
  silentLogger,
  withoutDeathHeaders,
  type BusLogger,
  type ResolvedQueueOptions,
} from './defaults.js';
import {
  HEADERS,
  type DeadLetter,
  type HeaderValue,
  type MessageBus,
  type MessageHandler,
  type Subscription,
} from './types.js';

export interface InProcessBusOptions {
  readonly logger?: BusLogger;
  readonly now?: () => Date;
}

interface StoredMessage {
  readonly messageId: string;
  readonly content: Buffer;
  /** Carries the attempt (HEADERS.attempt) and, once dead, the death headers, as AMQP would. */
  readonly headers: Readonly<Record<string, HeaderValue>>;
  readonly publishedAt: string;
  readonly redelivered: boolean;
}

interface Delivery {
  readonly message: StoredMessage;
  done: Promise<void>;
  /** Set when cancel() gave up waiting: the message went back to the queue, the outcome is ignored. */
  abandoned: boolean;
}

interface Consumer {
  readonly handler: MessageHandler;
  readonly options: ResolvedQueueOptions;
  readonly prefetch: number;
  readonly inFlight: Set<Delivery>;
}

interface QueueState {
  ready: StoredMessage[];
  readonly retrying: Map<NodeJS.Timeout, StoredMessage>;
  dead: StoredMessage[];
  readonly consumers: Consumer[];
  /** Round-robin position, so competing consumers share the work. */
  nextConsumer: number;
}

/**
 * The in-memory adapter of the messaging port (the embedded default): same semantics as AMQP —
 * competing consumers, prefetch, ack after the handler resolves, delayed retries, dead letters —
 * without durability: messages live as long as the process.
 */
export function createInProcessBus(options: InProcessBusOptions = {}): MessageBus {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());
  const queues = new Map<string, QueueState>();
  let closed = false;

  function stateOf(queue: string): QueueState {
    let state = queues.get(queue);
    if (state === undefined) {
      state = { ready: [], retrying: new Map(), dead: [], consumers: [], nextConsumer: 0 };
      queues.set(queue, state);
    }
    return state;
  }

  function ensureOpen(): void {
    if (closed) throw new AppError('unavailable', 'The message bus is closed');
  }

  function pickConsumer(state: QueueState): Consumer | undefined {
    const count = state.consumers.length;
    for (let offset = 0; offset < count; offset += 1) {
      const index = (state.nextConsumer + offset) % count;
      const consumer = state.consumers[index];
      if (consumer !== undefined && consumer.inFlight.size < consumer.prefetch) {
        state.nextConsumer = (index + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }

  function dispatch(queue: string, state: QueueState): void {
    if (closed) return;
    for (;;) {
      if (state.ready.length === 0) return;
      const consumer = pickConsumer(state);
      if (consumer === undefined) return;
      const message = state.ready.shift();
      if (message !== undefined) deliver(queue, state, consumer, message);
    }
  }

  function deliver(queue: string, state: QueueState, consumer: Consumer, message: StoredMessage): void {
    const delivery: Delivery = { message, abandoned: false, done: Promise.resolve() };
    const done = (async () => {
      // Handlers run asynchronously, as AMQP deliveries do: publish returns before the handler starts.
      await Promise.resolve();
      let failure: { error: unknown } | undefined;
      try {
        await consumer.handler({
          messageId: message.messageId,
          queue,
          content: Buffer.from(message.content),
          headers: { ...message.headers },
          attempt: attemptOf(message.headers),
          redelivered: message.redelivered,
          publishedAt: message.publishedAt,
        });
      } catch (error) {
        failure = { error };
      }
      consumer.inFlight.delete(delivery);
      if (!delivery.abandoned && !closed && failure !== undefined) {
        onFailure(queue, state, consumer.options, message, failure.error);
      }
      dispatch(queue, state);
    })();
    delivery.done = done;
    consumer.inFlight.add(delivery);
  }

  function onFailure(
    queue: string,
    state: QueueState,
    queueOptions: ResolvedQueueOptions,
    message: StoredMessage,
    error: unknown,
  ): void {
    const reason = errorMessage(error);
    const attempt = attemptOf(message.headers);
    if (isPoisonMessage(error) || attempt >= queueOptions.maxAttempts) {
      state.dead.push({
        ...message,
        headers: {
          ...message.headers,
          [HEADERS.deathReason]: reason,
          [HEADERS.deathQueue]: queue,
          [HEADERS.deathTime]: now().toISOString(),
        },
      });
      logger.warn(
        `Mensagem ${message.messageId} enviada para a fila de mensagens mortas ${deadLetterQueueName(queue)}: ${reason}`,
      );
      return;
    }
    const delayMs = Math.max(0, Math.round(queueOptions.retryDelayMs(attempt)));
    const retry: StoredMessage = {
      ...message,
      redelivered: false,
      headers: { ...message.headers, [HEADERS.attempt]: attempt + 1 },
    };
    const timer = setTimeout(() => {
      state.retrying.delete(timer);
      state.ready.push(retry);
      dispatch(queue, state);
    }, delayMs);
    state.retrying.set(timer, retry);
    logger.warn(
      `Mensagem ${message.messageId} falhou na tentativa ${attempt} de ${queueOptions.maxAttempts} em ${queue}: ${reason}; nova tentativa em ${delayMs} ms`,
    );
  }

  async function stopConsumer(
    queue: string,
    state: QueueState,
    consumer: Consumer,
    timeoutMs: number,
  ): Promise<void> {
    const index = state.consumers.indexOf(consumer);
    if (index >= 0) state.consumers.splice(index, 1);
    const deliveries = [...consumer.inFlight];
    await settledWithin(Promise.all(deliveries.map((delivery) => delivery.done)), timeoutMs);
    const unfinished = [...consumer.inFlight];
    if (unfinished.length === 0) return;
    logger.warn(
      `Consumidor de ${queue} cancelado com ${unfinished.length} mensagens em processamento; elas serão entregues de novo`,
    );
    // Like a closed AMQP channel: what was not acknowledged goes back to the head of the queue.
    for (const delivery of unfinished) delivery.abandoned = true;
    state.ready.unshift(...unfinished.map((delivery) => ({ ...delivery.message, redelivered: true })));
    consumer.inFlight.clear();
    dispatch(queue, state);
  }

  const cancellers = new Set<() => Promise<void>>();

  const bus: MessageBus = {
    get connected() {
      return !closed;
    },

    async declareQueue(queue) {
      ensureOpen();
      stateOf(queue);
    },

    async publish(queue, message) {
      ensureOpen();
      const content = encodeBody(message.body);
      const state = stateOf(queue);
      const publishedAt = now().toISOString();
      state.ready.push({
        messageId: message.messageId,
        content,
        headers: { ...message.headers, [HEADERS.attempt]: 1, [PUBLISHED_AT_HEADER]: publishedAt },
        publishedAt,
        redelivered: false,
      });
      dispatch(queue, state);
    },

    async consume(queue, handler, consumeOptions = {}) {
      ensureOpen();
      const state = stateOf(queue);
      const consumer: Consumer = {
        handler,
        options: resolveQueueOptions(consumeOptions),
        prefetch: consumeOptions.prefetch ?? DEFAULT_PREFETCH,
        inFlight: new Set(),
      };
      state.consumers.push(consumer);
      let cancelling: Promise<void> | undefined;
      const cancel = (): Promise<void> => {
        cancelling ??= stopConsumer(
          queue,
          stateOf(queue),
          consumer,
          consumeOptions.cancelTimeoutMs ?? DEFAULT_CANCEL_TIMEOUT_MS,
        ).finally(() => cancellers.delete(cancel));
        return cancelling;
      };
      cancellers.add(cancel);
      const subscription: Subscription = { cancel };
      dispatch(queue, state);
      return subscription;
    },

    async depth(queue) {
      ensureOpen();
      const state = stateOf(queue);
      return { ready: state.ready.length, retrying: state.retrying.size, dead: state.dead.length };
    },

    async peekDeadLetters(queue, limit = DEFAULT_PEEK_LIMIT) {
      ensureOpen();
      return stateOf(queue)
        .dead.slice(0, limit)
        .map((message): DeadLetter => {
          const reason = message.headers[HEADERS.deathReason];
          const deadAt = message.headers[HEADERS.deathTime];
          return {
            messageId: message.messageId,
            queue,
            reason: typeof reason === 'string' ? reason : '',
            deadAt: typeof deadAt === 'string' ? deadAt : undefined,
            attempts: attemptOf(message.headers),
            content: Buffer.from(message.content),
          };
        });
    },

    async replayDeadLetters(queue, limit) {
      ensureOpen();
      const state = stateOf(queue);
      const moved = state.dead.splice(0, limit ?? state.dead.length);
      for (const message of moved) {
        state.ready.push({
          ...message,
          redelivered: false,
          headers: { ...withoutDeathHeaders(message.headers), [HEADERS.attempt]: 1 },
        });
      }
      if (moved.length > 0) {
        logger.info(`${moved.length} mensagens reenviadas de ${deadLetterQueueName(queue)} para ${queue}`);
      }
      dispatch(queue, state);
      return moved.length;
    },

    async deleteQueue(queue) {
      ensureOpen();
      const state = queues.get(queue);
      if (state === undefined) return;
      for (const timer of state.retrying.keys()) clearTimeout(timer);
      state.retrying.clear();
      state.ready = [];
      state.dead = [];
      if (state.consumers.length === 0) queues.delete(queue);
    },

    async close() {
      if (closed) return;
      await Promise.all([...cancellers].map((cancel) => cancel()));
      closed = true;
      for (const state of queues.values()) {
        for (const timer of state.retrying.keys()) clearTimeout(timer);
        state.retrying.clear();
      }
    },
  };
  return bus;
}
