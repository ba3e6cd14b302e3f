import { AppError } from '@dslab/errors';

/**
 * Deadlines across REST hops: the caller sends the milliseconds it still has in `X-Timeout-Ms`;
 * the server takes the smaller of that budget and its own maximum (docs/checkout.md,
 * "Deadlines and errors across hops").
 */

export const TIMEOUT_HEADER = 'x-timeout-ms';

/** What every call carries across a hop (the same shape as the checkout ports' CallContext). */
export interface CallContext {
  /** Absolute deadline, epoch ms (the Date.now() scale). */
  readonly deadline: number;
  /** W3C trace id, sent on as `traceparent`. */
  readonly traceId: string;
}

export interface DeadlineSettings {
  /** Budget when the request carries no X-Timeout-Ms. */
  readonly defaultMs: number;
  /** Largest budget this server grants, whatever the caller asked. */
  readonly maxMs: number;
}

/** The part of a Fastify request this needs (`traceId` is decorated by createHttpApp). */
export interface RequestWithTrace {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly traceId: string;
}

/**
 * The call context of an incoming request: deadline from `X-Timeout-Ms` (a positive integer
 * of milliseconds; anything else is `validation-failed`), capped at `maxMs`; trace id from the
 * request (its `traceparent`, or the one createHttpApp made up).
 */
export function callContextFromRequest(request: RequestWithTrace, settings: DeadlineSettings): CallContext {
  const now = Date.now();
  const raw = request.headers[TIMEOUT_HEADER];
  let budget = Math.min(settings.defaultMs, settings.maxMs);
  if (raw !== undefined) {
    const text = Array.isArray(raw) ? undefined : raw.trim();
    const value = text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new AppError(
        'validation-failed',
        `Header X-Timeout-Ms must be a positive integer of milliseconds, got ${JSON.stringify(raw)}`,
        {
          extensions: {
            errors: [{ field: `headers.${TIMEOUT_HEADER}`, message: 'must be a positive integer' }],
          },
        },
      );
    }
    budget = Math.min(value, settings.maxMs);
  }
  return { deadline: now + budget, traceId: request.traceId };
}

/** Milliseconds left until `deadline` (may be zero or negative). */
export function remainingMs(deadline: number): number {
  return deadline - Date.now();
}
