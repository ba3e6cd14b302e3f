/**
 * The web client (seed delivery 4): the files `npm run build:web` writes to
 * systems/sctec/web-client/dist (index.html, app.js, app.css) are served under /app/, and GET /
 * answers index.html to browsers (content negotiation on Accept; API clients keep the HAL root).
 *
 * Files are read on request (a rebuild shows up without a restart) and kept in memory while
 * their size and mtime do not change. Caching: every answer has a strong ETag; a request that
 * names the file's current content hash (`/app/app.js?v=<hash>`, as index.html does) may be
 * cached for a year; anything else must be revalidated (`no-cache`), so a rebuilt client is
 * never served stale.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '@dslab/errors';
import type { HttpApp } from '@dslab/http-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';

/** systems/sctec/web-client/dist, next to this source tree (the Docker image sets WEB_CLIENT_DIR). */
export const DEFAULT_WEB_CLIENT_DIR = fileURLToPath(new URL('../../../../web-client/dist/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** One file name, no folders, no dot-files: nothing outside the folder can be named. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9]+)+$/;

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

interface Entry {
  body: Buffer;
  /** First 16 hex digits of the SHA-256 of the content: the `v` of versioned URLs. */
  hash: string;
  etag: string;
  mtimeMs: number;
  size: number;
}

/** The quality the Accept header gives `mediaType` (RFC 9110 §12.5.1: the most specific range wins). */
export function acceptQuality(accept: string | undefined, mediaType: string): number {
  if (accept === undefined || accept.trim() === '') return 1;
  const [type, subtype] = mediaType.toLowerCase().split('/');
  let best = { specificity: -1, q: 0 };
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const [rangeType, rangeSubtype] = range.split('/');
    if (rangeType === undefined || rangeSubtype === undefined) continue;
    let specificity: number;
    if (rangeType === type && rangeSubtype === subtype) specificity = 2;
    else if (rangeType === type && rangeSubtype === '*') specificity = 1;
    else if (rangeType === '*' && rangeSubtype === '*') specificity = 0;
    else continue;
    let q = 1;
    for (const param of params) {
      const match = /^q=([01](\.\d{0,3})?)$/.exec(param);
      if (match?.[1] !== undefined) q = Number(match[1]);
    }
    if (specificity > best.specificity) best = { specificity, q };
  }
  return best.q;
}

/**
 * True when the client prefers an HTML page to JSON: browsers send
 * `text/html,…,*\/*;q=0.8`. A tie (`*\/*`, no Accept, curl, fetch) answers JSON, the API's default.
 */
export function prefersHtml(accept: string | undefined): boolean {
  const html = Math.max(acceptQuality(accept, 'text/html'), acceptQuality(accept, 'application/xhtml+xml'));
  const json = Math.max(
    acceptQuality(accept, 'application/json'),
    acceptQuality(accept, 'application/hal+json'),
  );
  return html > 0 && html > json;
}

const MISSING_PAGE = `<!doctype html>
<html lang="pt-BR">
<head><meta charset="utf-8"><title>SCTEC — cliente web não compilado</title></head>
<body>
<h1>SCTEC — cliente web não compilado</h1>
<p>Os arquivos do cliente web não foram encontrados no servidor. Na raiz do repositório, execute
<code>npm run build:web</code> (ou <code>npm start</code>, que compila antes de iniciar) e recarregue esta página.</p>
<p>A API continua disponível: <a href="/docs">documentação</a>; <code>GET /</code> com
<code>Accept: application/json</code> devolve a raiz HAL.</p>
</body>
</html>
`;

export interface WebClient {
  /** The folder served. */
  readonly dir: string;
  /** Does this request (its Accept header) want the page rather than the HAL root? */
  wantsPage(request: FastifyRequest): boolean;
  /** Answers index.html (or, when the client is not built, a page saying how to build it). */
  sendPage(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
}

export function registerWebRoutes(app: HttpApp, options: { dir: string }): WebClient {
  const cache = new Map<string, Entry>();

  async function load(name: string): Promise<Entry | undefined> {
    const file = join(options.dir, name);
    let info;
    try {
      info = await stat(file);
    } catch {
      cache.delete(name);
      return undefined;
    }
    if (!info.isFile()) return undefined;
    const cached = cache.get(name);
    if (cached !== undefined && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return undefined;
    }
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
    const entry = { body, hash, etag: `"${hash}"`, mtimeMs: info.mtimeMs, size: info.size };
    cache.set(name, entry);
    return entry;
  }

  function send(
    request: FastifyRequest,
    reply: FastifyReply,
    name: string,
    entry: Entry,
    immutable: boolean,
  ) {
    void reply
      .header('cache-control', immutable ? IMMUTABLE : REVALIDATE)
      .header('etag', entry.etag)
      .type(TYPES[extname(name)] ?? 'application/octet-stream');
    const match = request.headers['if-none-match'];
    if (
      match !== undefined &&
      match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === entry.etag)
    ) {
      return reply.code(304).send();
    }
    return reply.send(entry.body);
  }

  async function sendPage(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const index = await load('index.html');
    if (index === undefined) {
      return reply
        .code(503)
        .header('cache-control', 'no-store')
        .header('retry-after', '10')
        .type('text/html; charset=utf-8')
        .send(MISSING_PAGE);
    }
    return send(request, reply, 'index.html', index, false);
  }

  app.get(
    '/app/:file',
    {
      schema: {
        hide: true,
        params: Type.Object({ file: Type.String({ maxLength: 128 }) }),
        querystring: Type.Object({ v: Type.Optional(Type.String({ maxLength: 64 })) }),
      },
    },
    async (request, reply) => {
      const name = request.params.file;
      const entry = FILE_NAME.test(name) && TYPES[extname(name)] !== undefined ? await load(name) : undefined;
      if (entry === undefined) {
        throw new AppError('not-found', `The web client has no file "${name}" (run npm run build:web?)`);
      }
      return send(request, reply, name, entry, request.query.v === entry.hash);
    },
  );
  app.get('/app', { schema: { hide: true } }, async (request, reply) => sendPage(request, reply));

  return {
    dir: options.dir,
    wantsPage: (request) => prefersHtml(request.headers.accept),
    sendPage,
  };
}
