/**
 * Query parameters of the product listing (`GET /produtos?disponivel=true&limit=20&offset=40`),
 * validated from what an HTTP framework hands over (each value a string, or an array when the
 * parameter repeats). Every problem is listed at once. Unknown parameters are refused rather than
 * ignored: `?disponível=true` (with an accent) silently returning everything would look like a
 * broken filter.
 */

/** The seed's catalogue has tens of products: one default page shows them all. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
/** Deep offsets make the database scan and skip; past this, a client should filter instead. */
export const MAX_OFFSET = 100_000;

export interface CatalogoQuery {
  /** Absent: all products. */
  readonly disponivel?: boolean;
  readonly limit: number;
  readonly offset: number;
}

export interface QueryError {
  readonly param: string;
  readonly reason: string;
}

export type QueryValidation =
  | { readonly ok: true; readonly value: CatalogoQuery }
  | { readonly ok: false; readonly errors: readonly QueryError[] };

export type RawQuery = Readonly<Record<string, string | readonly string[] | undefined>>;

const KNOWN = ['disponivel', 'limit', 'offset'];
const INTEGER = /^(0|[1-9][0-9]{0,8})$/;

function single(raw: RawQuery, name: string, errors: QueryError[]): string | undefined {
  const value = raw[name];
  if (value === undefined || typeof value === 'string') return value;
  errors.push({ param: name, reason: `${name} must be given once (it was given ${value.length} times)` });
  return undefined;
}

function integerIn(
  text: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
  errors: QueryError[],
): number {
  if (text === undefined) return fallback;
  const n = INTEGER.test(text) ? Number(text) : Number.NaN;
  if (!(n >= min && n <= max)) {
    errors.push({
      param: name,
      reason: `${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(text.slice(0, 20))})`,
    });
    return fallback;
  }
  return n;
}

export function validateCatalogoQuery(raw: RawQuery): QueryValidation {
  const errors: QueryError[] = [];
  for (const name of Object.keys(raw).sort())
    if (!KNOWN.includes(name) && raw[name] !== undefined)
      errors.push({
        param: name,
        reason: `unknown parameter ${JSON.stringify(name.slice(0, 40))} (known: ${KNOWN.join(', ')})`,
      });
  const disponivelText = single(raw, 'disponivel', errors);
  let disponivel: boolean | undefined;
  if (disponivelText === 'true') disponivel = true;
  else if (disponivelText === 'false') disponivel = false;
  else if (disponivelText !== undefined)
    errors.push({
      param: 'disponivel',
      reason: `disponivel must be "true" or "false" (got ${JSON.stringify(disponivelText.slice(0, 20))})`,
    });
  const limit = integerIn(single(raw, 'limit', errors), 'limit', 1, MAX_LIMIT, DEFAULT_LIMIT, errors);
  const offset = integerIn(single(raw, 'offset', errors), 'offset', 0, MAX_OFFSET, 0, errors);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: disponivel === undefined ? { limit, offset } : { disponivel, limit, offset } };
}
