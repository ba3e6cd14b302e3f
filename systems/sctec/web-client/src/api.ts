/**
 * HAL over fetch. The client knows one URL (the root) and follows links: `follow(link)` uses the
 * link's `method` hint (GET when absent) and never builds a path itself.
 */
import type { Link } from './slots.js';

export type { Link };
export type Links = Readonly<Record<string, Link | undefined>>;

export interface Hal {
  readonly _links: Links;
  readonly _embedded?: Readonly<Record<string, readonly unknown[] | undefined>>;
}

/** RFC 9457 problem as the API sends it (status 0: the request never got an answer). */
export interface Problem {
  readonly status: number;
  readonly code?: string;
  readonly title?: string;
  readonly detail?: string;
  readonly errors?: readonly { field: string; message: string }[];
  /** Signed decision receipt (JWS) of a refused booking (409 of POST /agendamentos). */
  readonly recibo?: string;
  /** Links a problem offers, e.g. `entrar_na_fila` (an array: one per contested slot). */
  readonly _links?: Readonly<Record<string, Link | readonly Link[] | undefined>>;
  /** `slot-held`: until when the slot is held for a waiter. */
  readonly oferta_expira_em_utc?: string;
  /** `already-waiting`: the existing entry (an href, or a link). */
  readonly espera?: string | Link;
  /** `quota-exceeded` extensions. */
  readonly periodo?: string;
  readonly alocados_minutos?: number;
  readonly usados_minutos?: number;
  readonly restantes_minutos?: number;
  readonly pedidos_minutos?: number;
}

export type Outcome<T> =
  | { readonly ok: true; readonly status: number; readonly body: T; readonly headers: Headers }
  | { readonly ok: false; readonly status: number; readonly problem: Problem };

export interface FollowOptions {
  token?: string | undefined;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const HAL_ACCEPT = 'application/hal+json, application/json;q=0.9, application/problem+json;q=0.8';

export async function follow<T>(link: Link, options: FollowOptions = {}): Promise<Outcome<T>> {
  if (link.templated === true) throw new Error(`link ${link.href} is a template: expand it first`);
  const headers: Record<string, string> = { accept: HAL_ACCEPT, ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(link.href, {
      method: link.method ?? 'GET',
      headers,
      ...(body === undefined ? {} : { body }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    return { ok: false, status: 0, problem: { status: 0, code: 'offline', detail: String(error) } };
  }
  const text = await response.text().catch(() => '');
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (response.ok) return { ok: true, status: response.status, body: parsed as T, headers: response.headers };
  const problem =
    typeof parsed === 'object' && parsed !== null
      ? ({ ...(parsed as Problem), status: response.status } satisfies Problem)
      : { status: response.status, detail: text.slice(0, 200) };
  return { ok: false, status: response.status, problem };
}

/** `_links[name]`, or an error naming what the server did not offer. */
export function linkOf(resource: Hal, name: string): Link {
  const link = resource._links[name];
  if (link === undefined) throw new Error(`o servidor não ofereceu o link "${name}"`);
  return link;
}

export function embedded<T>(resource: Hal, name: string): T[] {
  return (resource._embedded?.[name] ?? []) as T[];
}
