import type { Logger } from '@dslab/logging';
import { HEADERS, PoisonMessageError, type HeaderValue, type QueueOptions } from './types.js';

/** Defaults shared by both adapters, so they behave the same under the contract tests. */
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_PREFETCH = 16;
export const DEFAULT_CANCEL_TIMEOUT_MS = 10_000;
export const DEFAULT_PEEK_LIMIT = 100;

/** 200 ms × 2^(n−1), capped at 10 s. */
export function defaultRetryDelayMs(attempt: number): number {
  return Math.min(200 * 2 ** Math.max(0, attempt - 1), 10_000);
}

/** Header with the publisher's time in ms precision (AMQP's own timestamp has whole seconds only). */
export const PUBLISHED_AT_HEADER = 'x-dslab-published-at';

export interface ResolvedQueueOptions {
  readonly maxAttempts: number;
  readonly retryDelayMs: (attempt: number) => number;
}

export function resolveQueueOptions(options: QueueOptions = {}): ResolvedQueueOptions {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be an integer ≥ 1, got ${maxAttempts}`);
  }
  return { maxAttempts, retryDelayMs: options.retryDelayMs ?? defaultRetryDelayMs };
}

export function retryQueueName(queue: string): string {
  return `${queue}.retry`;
}

export function deadLetterQueueName(queue: string): string {
  return `${queue}.dlq`;
}

export function encodeBody(body: unknown): Buffer {
  const json = JSON.stringify(body) as string | undefined;
  if (json === undefined) throw new TypeError('message body is not JSON-serialisable');
  return Buffer.from(json, 'utf8');
}

/** The attempt number a message carries (1 when the header is absent or nonsense). */
export function attemptOf(headers: Readonly<Record<string, unknown>>): number {
  const value = Number(headers[HEADERS.attempt]);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}

/** Keeps only the scalar headers (AMQP adds tables such as x-death that the port does not expose). */
export function scalarHeaders(
  headers: Readonly<Record<string, unknown>> | undefined,
): Record<string, HeaderValue> {
  const result: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      result[name] = value;
  }
  return result;
}

/** The headers of a message going back to its queue afresh (replay): death and attempt headers dropped. */
export function withoutDeathHeaders(
  headers: Readonly<Record<string, HeaderValue>>,
): Record<string, HeaderValue> {
  const dropped = new Set<string>([
    HEADERS.attempt,
    HEADERS.deathReason,
    HEADERS.deathQueue,
    HEADERS.deathTime,
  ]);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !dropped.has(name)));
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Resolves after `ms`, or at once when the signal aborts; never leaves a timer behind. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Waits for `promise` at most `ms`; answers whether it settled in time. Used to bound waits for
 * in-flight handlers, whose own errors are handled elsewhere.
 */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The part of the service logger the bus uses (tests pass a plain collector). */
export type BusLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export const silentLogger: BusLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * True for a PoisonMessageError, also one from another copy of this package (a bundled or
 * duplicated install), recognised by its name.
 */
export function isPoisonMessage(error: unknown): boolean {
  return (
    error instanceof PoisonMessageError || (error instanceof Error && error.name === 'PoisonMessageError')
  );
}
