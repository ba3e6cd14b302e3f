import { MAX_ID } from '@dslab/checkout-contracts';
import type { DeadlineSettings } from '@dslab/http-kit';
import { Type, type TInteger, type TObject, type TUnsafe } from 'typebox';

/**
 * What the checkout services' REST routes (src/entry-points/http.ts) share: the deadline settings
 * they take, the id schema of their paths and bodies, and the answer of a creating call.
 */

/**
 * A service's deadline settings for its routes: the budget of a request that sends no
 * X-Timeout-Ms and the largest one granted (see requestTimeouts).
 */
export type TimeoutSettings = DeadlineSettings;

/** An id as the checkout's messages carry it: an integer from 1 to MAX_ID (the protos' int32). */
export function idSchema(description?: string): TInteger {
  return Type.Integer({ minimum: 1, maximum: MAX_ID, ...(description === undefined ? {} : { description }) });
}

/** A string that is one of `values` (a status, a payment method), typed as their union. */
export function stringEnum<T extends string>(values: readonly T[], description?: string): TUnsafe<T> {
  return Type.Unsafe<T>({
    type: 'string',
    enum: [...values],
    ...(description === undefined ? {} : { description }),
  });
}

/** Path parameters of one id: `/:id` by default, or the given name (`/:pedido_id`). */
export function idParams<K extends string = 'id'>(
  name: K = 'id' as K,
  description?: string,
): TObject<Record<K, TInteger>> {
  return Type.Object({ [name]: idSchema(description) } as Record<K, TInteger>);
}

/** A creating call's answer: its value, and whether it is the stored answer of an earlier call. */
export interface Outcome<T> {
  readonly value: T;
  readonly replayed: boolean;
}

/** The part of a route's reply sendOutcome uses (`R`: what its send answers, the reply itself). */
export interface OutcomeReply<T, R> {
  header(name: string, value: string): unknown;
  code(statusCode: 200 | 201): { send(payload: T): R };
}

/**
 * Answers a creating call: 201 with the new resource, or 200 with the stored one when the call was
 * a replay; `location`, when the resource has a URL of its own, goes in the Location header.
 */
export function sendOutcome<T, R>(reply: OutcomeReply<T, R>, outcome: Outcome<T>, location?: string): R {
  if (location !== undefined) reply.header('location', location);
  return reply.code(outcome.replayed ? 200 : 201).send(outcome.value);
}
