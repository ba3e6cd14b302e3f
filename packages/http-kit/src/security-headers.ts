import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/** A response header as Fastify's `reply.header` takes it: lowercase name, final value. */
export type HeaderPair = readonly [name: string, value: string];

/**
 * The security headers every response carries, computed once at start-up. helmet still decides
 * the values (its defaults plus the options given); only the per-request work is gone:
 * @fastify/helmet rebuilt helmet's middleware on every request, re-validating each option and
 * re-parsing every CSP directive (≈19 % of a hello-world request's CPU). Without CSP nonces
 * (not used here) the headers are the same for every response, so one computation serves all.
 */
export function computeSecurityHeaders(options: Readonly<HelmetOptions>): readonly HeaderPair[] {
  const headers = new Map<string, string>();
  // helmet's middleware only calls setHeader and removeHeader (X-Powered-By) on the response.
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value));
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
  };
  // helmet 8 throws bad options itself; the callback's error argument is kept for older versions.
  helmet(options)({} as unknown as IncomingMessage, recorder as unknown as ServerResponse, (error) => {
    if (error !== undefined) throw new Error('helmet rejected the security header options', { cause: error });
  });
  return [...headers];
}
