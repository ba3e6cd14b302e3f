/**
 * The request-validation primitives every checkout service's domain validators share: the bounds
 * the messages put on ids and order lines, what an id is, how a received value is shown in an
 * error message, and the shape of a validation answer. Pure (no I/O, no clock), so the domains
 * import it. Each domain keeps its own rules and messages; only what they all spelled the same way
 * lives here.
 *
 * A validator lists every problem at once, each under the path the client sent
 * (`itens[2].quantidade`), so a client fixes its request in one round trip. The application layer
 * turns the list into the kit's `validationFailed` error (`errors: [{ field, message }]`).
 */

/** The largest int32: the protos declare ids and quantities `int32`. */
export const MAX_INT32 = 2_147_483_647;

/**
 * Ids are positive and fit in a signed 32-bit integer: the seed's proto messages use `int32` for
 * ids, so an id outside that range could not cross the gRPC wire anyway.
 */
export const MAX_ID = MAX_INT32;

/**
 * Lines per order: bounds the work (and the answer) of one request. A reservation and an invoice
 * carry an order's lines, so estoque and fiscal take the same bound.
 */
export const MAX_ITENS = 50;

/** Units per order line. With MAX_ITENS this caps one order at 50 000 units. */
export const MAX_QUANTIDADE = 1000;

/** One problem with one field of the input. `field` is a path such as `itens[0].produto_id`. */
export interface FieldError {
  readonly field: string;
  readonly reason: string;
}

/** A validator's answer: the trusted value (only the known fields), or every problem found. */
export type Validated<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly FieldError[] };

/** A plain object (not null, not an array): a decoded JSON object or proto message. */
export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An integer from `min` to `max`, both inclusive. */
export function isIntIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** A positive integer id within MAX_ID. */
export function isId(value: unknown): value is number {
  return isIntIn(value, 1, MAX_ID);
}

/** A whole, non-negative number of centavos that is exactly representable (a safe integer). */
export function isCentavos(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * A short rendering of a received value for error messages, never the whole of a big value: a
 * number as is, a string quoted and cut after `maxChars` characters, and only the kind of anything
 * else (`null`, `undefined`, `an array`, `an object`, `boolean`).
 */
export function describe(value: unknown, maxChars = 40): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string')
    return JSON.stringify(value.length > maxChars ? `${value.slice(0, maxChars)}…` : value);
  return typeof value;
}

/** The answer to a request that is not an object at all (field `''`: the request itself). */
export function notAnObject(input: unknown): Validated<never> {
  return {
    ok: false,
    errors: [{ field: '', reason: `the request must be an object (got ${describe(input)})` }],
  };
}

/**
 * Whether `value` is an integer from `min` to `max`; when it is not, records
 * `<field> must be an integer from <min> to <max> (got …)` in `errors`.
 */
export function checkIntIn(
  value: unknown,
  field: string,
  min: number,
  max: number,
  errors: FieldError[],
): value is number {
  if (isIntIn(value, min, max)) return true;
  errors.push({
    field,
    reason: `${field} must be an integer from ${min} to ${max} (got ${describe(value)})`,
  });
  return false;
}

/** Whether `value` is an id; when it is not, records `<field> must be an integer from 1 to MAX_ID (got …)`. */
export function checkId(value: unknown, field: string, errors: FieldError[]): value is number {
  return checkIntIn(value, field, 1, MAX_ID, errors);
}

/**
 * The lines of a list field whose length the caller already accepted: a line that is not an object
 * is recorded as `<field>[i] must be an object (got …)`; `line` checks each object line under its
 * path `<field>[i]`, records its own problems in `errors`, and answers the line's value when it is
 * valid. Answers the valid lines' values in the client's order.
 */
export function validateLines<T>(
  lines: readonly unknown[],
  field: string,
  errors: FieldError[],
  line: (item: Readonly<Record<string, unknown>>, at: string, index: number) => T | undefined,
): T[] {
  const values: T[] = [];
  lines.forEach((item, i) => {
    const at = `${field}[${i}]`;
    if (!isRecord(item)) {
      errors.push({ field: at, reason: `${at} must be an object (got ${describe(item)})` });
      return;
    }
    const value = line(item, at, i);
    if (value !== undefined) values.push(value);
  });
  return values;
}

/**
 * A list of ids whose length the caller already accepted: each element must be an id (a bad one is
 * recorded under `<field>[i]`). Answers the good ids once each, ascending.
 */
export function collectIds(list: readonly unknown[], field: string, errors: FieldError[]): number[] {
  const ids = new Set<number>();
  list.forEach((id, i) => {
    if (checkId(id, `${field}[${i}]`, errors)) ids.add(id);
  });
  return [...ids].sort((a, b) => a - b);
}

/** Idempotency keys are client-chosen: bounded and printable so they are safe in logs and indexes. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function isIdempotencyKey(value: unknown): value is string {
  return typeof value === 'string' && IDEMPOTENCY_KEY_PATTERN.test(value);
}
