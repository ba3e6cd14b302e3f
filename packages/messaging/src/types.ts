/**
 * The messaging port every dslab system talks to: durable work queues with publisher confirms,
 * acknowledgement after the effect, bounded retries and a dead-letter queue. Two adapters
 * implement it: AMQP (RabbitMQ, the scale-out engine) and in-process (the embedded default).
 * One contract test suite runs against both.
 */

/** Header names a message carries besides its body (AMQP headers, kept by the in-process bus too). */
export const HEADERS = {
  /** 1 on the first delivery, incremented by each retry. */
  attempt: 'x-dslab-attempt',
  /** Why a message was dead-lettered (the last error's message). */
  deathReason: 'x-dslab-death-reason',
  /** The queue a dead-lettered message came from. */
  deathQueue: 'x-dslab-death-queue',
  /** When it was dead-lettered (ISO-8601 UTC). */
  deathTime: 'x-dslab-death-time',
} as const;

export type HeaderValue = string | number | boolean;

export interface OutgoingMessage {
  /** Stable id; consumers use it to recognise a redelivery (idempotency). */
  readonly messageId: string;
  /** JSON-serialisable body; sent as application/json. */
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, HeaderValue>>;
}

export interface ReceivedMessage {
  readonly messageId: string;
  readonly queue: string;
  /** The raw bytes as published (a handler decides whether they parse). */
  readonly content: Buffer;
  readonly headers: Readonly<Record<string, HeaderValue>>;
  /** 1 on the first delivery of this message, 2 on the first retry, … */
  readonly attempt: number;
  /** True when the broker delivers it again after an unacknowledged delivery (consumer died). */
  readonly redelivered: boolean;
  /** When the publisher stamped it (ISO-8601 UTC). */
  readonly publishedAt: string | undefined;
}

/**
 * Handles one message. Resolving acknowledges it (do the effect, commit, then resolve).
 * Throwing retries it later, up to `maxAttempts` deliveries, then dead-letters it.
 * Throwing a `PoisonMessageError` dead-letters it at once (it can never succeed).
 */
export type MessageHandler = (message: ReceivedMessage) => Promise<void>;

/** A message that no retry can fix (unparseable, fails validation): straight to the dead-letter queue. */
export class PoisonMessageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PoisonMessageError';
  }
}

export interface QueueOptions {
  /** Deliveries before a failing message is dead-lettered (default 5). */
  readonly maxAttempts?: number;
  /** Delay before retry n (1-based); default 200 ms × 2^(n−1), capped at 10 s. */
  readonly retryDelayMs?: (attempt: number) => number;
}

export interface ConsumeOptions extends QueueOptions {
  /** Messages in flight at once for this consumer (AMQP prefetch; default 16). */
  readonly prefetch?: number;
  /**
   * How long `cancel()` waits for in-flight handlers (default 10 s). Past it the subscription lets
   * go of them unacknowledged: the broker (or the in-process queue) delivers them again.
   */
  readonly cancelTimeoutMs?: number;
}

export interface Subscription {
  /** Stops taking new messages and waits for the in-flight handlers to finish (bounded). */
  cancel(): Promise<void>;
}

export interface QueueDepth {
  /** Ready messages waiting in the queue. */
  readonly ready: number;
  /** Messages waiting in the queue's retry stage. */
  readonly retrying: number;
  /** Messages in the dead-letter queue. */
  readonly dead: number;
}

export interface DeadLetter {
  readonly messageId: string;
  readonly queue: string;
  readonly reason: string;
  readonly deadAt: string | undefined;
  readonly attempts: number;
  readonly content: Buffer;
}

export interface MessageBus {
  /**
   * Declares a durable work queue with its retry stage and dead-letter queue (idempotent).
   * `publish` and `consume` declare it themselves; call this to create it ahead of time.
   */
  declareQueue(queue: string): Promise<void>;
  /**
   * Publishes a persistent message to a work queue and resolves only when the broker has
   * taken responsibility for it (publisher confirm). Rejects with an AppError 'unavailable'
   * when the broker cannot be reached within the publish timeout, or refuses the message.
   */
  publish(queue: string, message: OutgoingMessage): Promise<void>;
  /** Competing consumer on a work queue: every message goes to one consumer of the queue. */
  consume(queue: string, handler: MessageHandler, options?: ConsumeOptions): Promise<Subscription>;
  /** How many messages wait in the queue, its retry stage and its dead-letter queue. */
  depth(queue: string): Promise<QueueDepth>;
  /** Reads (without removing) up to `limit` dead letters of a queue, oldest first. */
  peekDeadLetters(queue: string, limit?: number): Promise<DeadLetter[]>;
  /**
   * Moves up to `limit` dead letters of a queue back to it (attempt counter reset), oldest first;
   * resolves with how many moved. For after the cause was fixed: handlers must be idempotent.
   */
  replayDeadLetters(queue: string, limit?: number): Promise<number>;
  /** Deletes the queue, its retry stage and its dead-letter queue (tests, namespaces). */
  deleteQueue(queue: string): Promise<void>;
  /** True while the bus can publish (connected, for AMQP). */
  readonly connected: boolean;
  /** Cancels every subscription, waits for in-flight handlers, closes the connection. */
  close(): Promise<void>;
}
