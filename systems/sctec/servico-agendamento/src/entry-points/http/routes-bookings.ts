import { describeBreak, type AuditLog } from '@dslab/audit-log';
import { AppError } from '@dslab/errors';
import { problemResponses, type HttpApp } from '@dslab/http-kit';
import { Type } from 'typebox';
import type { IdempotencyStore } from '../../adapters/idempotency.js';
import type { SchedulerStore } from '../../adapters/store.js';
import type { TokenService } from '../../adapters/tokens.js';
import type { BookingService } from '../../application/booking-service.js';
import { checkUtcInstant } from '../../domain/time.js';
import { optionalPrincipal, requirePrincipal } from './auth.js';
import { createOnce } from './idempotent.js';
import { BookingSchema, bookingView, TelescopeSchema, telescopeView } from './representations.js';

export interface BookingRouteDeps {
  store: SchedulerStore;
  bookings: BookingService;
  idempotency: IdempotencyStore;
  tokens: TokenService;
  audit: AuditLog;
  now: () => number;
}

const BookingBody = Type.Object(
  {
    telescopio_id: Type.String({ minLength: 1, maxLength: 64 }),
    horario_inicio_utc: Type.String({
      minLength: 1,
      maxLength: 40,
      description: 'UTC ISO-8601 on the 5-minute grid, e.g. 2025-12-01T03:00:00Z',
    }),
    horario_fim_utc: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 40,
        description: 'default: one slot (5 minutes) after the start',
      }),
    ),
    horario_clique_utc: Type.Optional(
      Type.String({ minLength: 1, maxLength: 40, description: "client's synced click time" }),
    ),
    incerteza_ms: Type.Optional(
      Type.Number({ minimum: 0, maximum: 3_600_000, description: 'uncertainty of the click time (± ms)' }),
    ),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    telescopio_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    cientista_id: Type.Optional(Type.Integer({ minimum: 1 })),
    status: Type.Optional(Type.Union([Type.Literal('ativo'), Type.Literal('cancelado')])),
    de: Type.Optional(Type.String({ maxLength: 40, description: 'bookings ending after this UTC instant' })),
    ate: Type.Optional(
      Type.String({ maxLength: 40, description: 'bookings starting before this UTC instant' }),
    ),
    limite: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
  },
  { additionalProperties: false },
);

/** For answers documented in docs/API.md whose members are all listed there (HAL collections, audit). */
const HalDocument = Type.Object({}, { additionalProperties: true });

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

/** A UTC instant from the query string (`querystring.<name>` in the 400 when it is not one). */
export function parseInstantParam(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const check = checkUtcInstant(value);
  if (!check.ok) {
    throw new AppError('validation-failed', `querystring.${name}: ${check.reason}`, {
      extensions: { errors: [{ field: `querystring.${name}`, message: check.reason }] },
    });
  }
  return check.ms;
}

export function registerBookingRoutes(app: HttpApp, deps: BookingRouteDeps): void {
  const { store, bookings, idempotency, tokens } = deps;

  app.post(
    '/agendamentos',
    {
      schema: {
        summary: 'Book one or more consecutive 5-minute slots (needs a token)',
        description:
          'Accepts Idempotency-Key: a retry with the same key and body returns the original answer.',
        tags: ['agendamentos'],
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: BookingBody,
        response: { 201: BookingSchema, ...problemResponses(400, 401, 404, 409, 413, 415, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const receivedAt = deps.now();
      request.appLog.info('Requisição recebida para POST /agendamentos');
      const principal = await requirePrincipal(request, tokens);
      return createOnce(idempotency, request, reply, {
        scope: `cientista:${principal.id}`,
        fingerprint: request.body,
        create: async () => {
          const { booking, recibo } = await bookings.book({
            actor: principal,
            telescopioId: request.body.telescopio_id,
            inicio: request.body.horario_inicio_utc,
            fim: request.body.horario_fim_utc,
            clique: request.body.horario_clique_utc,
            incertezaMs: request.body.incerteza_ms,
            log: request.appLog,
            traceId: request.traceId,
            receivedAt,
          });
          return {
            body: { ...bookingView(booking, principal, deps.now()), recibo },
            location: `/agendamentos/${booking.id}`,
          };
        },
      });
    },
  );

  app.get(
    '/agendamentos/:id',
    {
      schema: {
        summary: 'One booking, with the links the viewer may follow',
        tags: ['agendamentos'],
        params: IdParams,
        response: { 200: BookingSchema, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const principal = await optionalPrincipal(request, tokens);
      const row = await store.findBooking(request.params.id);
      if (row === undefined) throw new AppError('not-found', `Booking ${request.params.id} does not exist`);
      return bookingView(row, principal, deps.now());
    },
  );

  app.post(
    '/agendamentos/:id/cancelamento',
    {
      schema: {
        summary: 'Cancel a booking (the target of its _links.cancelar; owner or admin)',
        tags: ['agendamentos'],
        params: IdParams,
        response: { 200: BookingSchema, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      request.appLog.info(`Requisição recebida para POST /agendamentos/${request.params.id}/cancelamento`);
      const principal = await requirePrincipal(request, tokens);
      const { row, reembolsoMinutos } = await bookings.cancel({
        actor: principal,
        id: request.params.id,
        log: request.appLog,
        traceId: request.traceId,
      });
      return { ...bookingView(row, principal, deps.now()), reembolso_minutos: reembolsoMinutos };
    },
  );

  app.get(
    '/agendamentos',
    {
      schema: {
        summary: 'Bookings, filtered by telescope, scientist, status and time range, paginated',
        tags: ['agendamentos'],
        querystring: ListQuery,
        response: { 200: HalDocument, ...problemResponses(400, 401) },
      },
    },
    async (request) => {
      const principal = await optionalPrincipal(request, tokens);
      const q = request.query;
      const deMs = parseInstantParam('de', q.de);
      const ateMs = parseInstantParam('ate', q.ate);
      if (deMs !== undefined && ateMs !== undefined && ateMs <= deMs) {
        throw new AppError('validation-failed', 'querystring.ate must be after querystring.de');
      }
      const { rows, total } = await store.listBookings({
        telescopioId: q.telescopio_id,
        cientistaId: q.cientista_id,
        status: q.status,
        deMs,
        ateMs,
        limit: q.limite,
        offset: q.offset,
      });
      const now = deps.now();
      const page = (offset: number) => {
        const params = new URLSearchParams();
        for (const [name, value] of Object.entries({
          telescopio_id: q.telescopio_id,
          cientista_id: q.cientista_id,
          status: q.status,
          de: q.de,
          ate: q.ate,
        })) {
          if (value !== undefined) params.set(name, String(value));
        }
        params.set('limite', String(q.limite));
        params.set('offset', String(offset));
        return { href: `/agendamentos?${params.toString()}` };
      };
      return {
        total,
        limite: q.limite,
        offset: q.offset,
        _links: {
          self: page(q.offset),
          first: page(0),
          ...(q.offset + q.limite < total ? { next: page(q.offset + q.limite) } : {}),
          ...(q.offset > 0 ? { prev: page(Math.max(0, q.offset - q.limite)) } : {}),
          agendar: { href: '/agendamentos', method: 'POST' },
        },
        _embedded: { agendamentos: rows.map((row) => bookingView(row, principal, now)) },
      };
    },
  );

  app.get('/telescopios', { schema: { summary: 'Telescopes', tags: ['telescopios'] } }, async () => {
    const rows = await store.listTelescopes();
    return {
      _links: { self: { href: '/telescopios' } },
      _embedded: { telescopios: rows.map(telescopeView) },
    };
  });

  app.get(
    '/telescopios/:id',
    {
      schema: {
        summary: 'One telescope',
        tags: ['telescopios'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: TelescopeSchema, ...problemResponses(404) },
      },
    },
    async (request) => {
      const row = await store.findTelescope(request.params.id);
      if (row === undefined)
        throw new AppError('not-found', `The telescope "${request.params.id}" does not exist`);
      return telescopeView(row);
    },
  );

  app.get(
    '/auditoria/verificacao',
    {
      schema: {
        summary: 'Recompute the audit hash chain (admin)',
        tags: ['auditoria'],
        response: { 200: HalDocument, ...problemResponses(401, 403) },
      },
    },
    async (request) => {
      const principal = await requirePrincipal(request, tokens);
      if (principal.papel !== 'admin')
        throw new AppError('forbidden', 'Only admins may verify the audit trail');
      const result = await deps.audit.verify();
      return result.ok
        ? { ok: true, entradas: result.count, ultima_seq: result.headSeq, ultimo_hash: result.headHash }
        : {
            ok: false,
            entradas_lidas: result.count,
            primeira_quebra: { ...result.firstBroken, descricao: describeBreak(result.firstBroken) },
          };
    },
  );

  app.get(
    '/auditoria',
    {
      schema: {
        summary: 'Audit entries in sequence order (admin)',
        tags: ['auditoria'],
        querystring: Type.Object(
          {
            apos: Type.Integer({ minimum: 0, default: 0 }),
            limite: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: HalDocument, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const principal = await requirePrincipal(request, tokens);
      if (principal.papel !== 'admin')
        throw new AppError('forbidden', 'Only admins may read the audit trail');
      const entries = await deps.audit.list({ afterSeq: request.query.apos, limit: request.query.limite });
      const last = entries.at(-1);
      return {
        _links: {
          self: { href: `/auditoria?apos=${request.query.apos}&limite=${request.query.limite}` },
          ...(last !== undefined && entries.length === request.query.limite
            ? { next: { href: `/auditoria?apos=${last.seq}&limite=${request.query.limite}` } }
            : {}),
          verificacao: { href: '/auditoria/verificacao' },
        },
        entradas: entries,
      };
    },
  );
}
