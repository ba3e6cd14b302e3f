/**
 * Waitlists with holds, and the demand per slot (issue 9). A 409 for a taken slot links to the
 * slot's list (`entrar_na_fila`); the entry links to leaving it and, while the hold stands for the
 * viewer, to confirming it. Confirming books the slot through the same flow as POST /agendamentos.
 */
import { AppError } from '@dslab/errors';
import { problemResponses, type HttpApp } from '@dslab/http-kit';
import { Type } from 'typebox';
import type { WaitlistRow } from '../../adapters/fair-share-store.js';
import type { IdempotencyStore } from '../../adapters/idempotency.js';
import type { SchedulerStore } from '../../adapters/store.js';
import type { TokenService } from '../../adapters/tokens.js';
import type { BookingService } from '../../application/booking-service.js';
import type { FairShare } from '../../application/fair-share.js';
import type { Actor } from '../../domain/booking.js';
import { path, telescopeHref } from '../../domain/links.js';
import { SLOT_MINUTES, SLOT_MS } from '../../domain/slots.js';
import { formatUtc, formatUtcSeconds, MS_PER_DAY } from '../../domain/time.js';
import { canConfirm, canLeave } from '../../domain/waitlist.js';
import { requirePrincipal } from './auth.js';
import { createOnce } from './idempotent.js';
import { BookingSchema, bookingView } from './representations.js';
import { parseInstantParam } from './routes-bookings.js';

export interface WaitlistRouteDeps {
  store: SchedulerStore;
  idempotency: IdempotencyStore;
  bookings: BookingService;
  fairShare: FairShare;
  tokens: TokenService;
  now: () => number;
}

/** Longest range of one demand query. */
export const MAX_DEMAND_RANGE_MS = 7 * MS_PER_DAY;

const LinkSchema = Type.Object(
  { href: Type.String(), method: Type.Optional(Type.String()), title: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

export const WaitlistEntrySchema = Type.Object({
  id: Type.Integer(),
  telescopio_id: Type.String(),
  horario_inicio_utc: Type.String({ format: 'date-time' }),
  horario_fim_utc: Type.String({ format: 'date-time' }),
  cientista_id: Type.Integer(),
  status: Type.Union([
    Type.Literal('aguardando'),
    Type.Literal('oferecida'),
    Type.Literal('aceita'),
    Type.Literal('expirada'),
    Type.Literal('saiu'),
  ]),
  posicao: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
    description: '1-based place among the open entries of the slot; null once closed',
  }),
  entrou_em_utc: Type.String({ format: 'date-time' }),
  oferta_expira_em_utc: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'when the hold ends (while or after it was offered)',
  }),
  agendamento_id: Type.Union([Type.Integer(), Type.Null()]),
  _links: Type.Record(Type.String(), LinkSchema),
});

const EntryParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
const SlotParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  inicio: Type.String({
    minLength: 1,
    maxLength: 40,
    description: 'slot start, UTC, e.g. 2026-12-01T03:05:00Z',
  }),
});

export function entryHref(id: number): string {
  return path`/esperas/${id}`;
}

export function entryView(entry: WaitlistRow, position: number | undefined, viewer: Actor, now: number) {
  const domainEntry = {
    id: entry.id,
    cientista_id: entry.cientista_id,
    status: entry.status,
    slotMs: entry.slot_inicio_ms,
    offerExpiresMs: entry.oferta_expira_ms,
  };
  return {
    id: entry.id,
    telescopio_id: entry.telescopio_id,
    horario_inicio_utc: formatUtc(entry.slot_inicio_ms),
    horario_fim_utc: formatUtc(entry.slot_inicio_ms + SLOT_MS),
    cientista_id: entry.cientista_id,
    status: entry.status,
    posicao: position ?? null,
    entrou_em_utc: entry.entrou_em_utc,
    oferta_expira_em_utc: entry.oferta_expira_ms === null ? null : formatUtc(entry.oferta_expira_ms),
    agendamento_id: entry.agendamento_id,
    _links: {
      self: { href: entryHref(entry.id) },
      telescopio: { href: telescopeHref(entry.telescopio_id) },
      ...(canConfirm(domainEntry, viewer, now)
        ? {
            confirmar: {
              href: path`/esperas/${entry.id}/confirmacao`,
              method: 'POST',
              title: `Confirmar o horário ${formatUtcSeconds(entry.slot_inicio_ms)}`,
            },
          }
        : {}),
      ...(canLeave(domainEntry, viewer)
        ? {
            sair: { href: path`/esperas/${entry.id}/saida`, method: 'POST', title: 'Sair da fila de espera' },
          }
        : {}),
      ...(entry.agendamento_id === null
        ? {}
        : { agendamento: { href: path`/agendamentos/${entry.agendamento_id}` } }),
    },
  };
}

export function registerWaitlistRoutes(app: HttpApp, deps: WaitlistRouteDeps): void {
  const { store, bookings, fairShare, tokens } = deps;

  app.post(
    '/telescopios/:id/slots/:inicio/fila',
    {
      schema: {
        summary: "Join a taken slot's waitlist (the target of a 409's _links.entrar_na_fila)",
        description:
          'The list order is the order the server commits the joins. When the booking is cancelled, the first ' +
          'waiter gets a hold (HOLD_SECONDS) that only they may book, pushed as ESPERA_OFERECIDA on GET /eventos.',
        tags: ['fila de espera'],
        params: SlotParams,
        response: { 201: WaitlistEntrySchema, ...problemResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const principal = await requirePrincipal(request, tokens);
      // Its place is known from the join itself (the list was read under the slot's lock).
      const { entry, position } = await fairShare.join({
        actor: principal,
        telescopioId: request.params.id,
        inicio: request.params.inicio,
        log: request.appLog,
        traceId: request.traceId,
      });
      return reply
        .code(201)
        .header('location', entryHref(entry.id))
        .send(entryView(entry, position, principal, deps.now()));
    },
  );

  app.get(
    '/esperas/:id',
    {
      schema: {
        summary: 'One waitlist entry (its scientist or an admin), with confirmar while the hold stands',
        tags: ['fila de espera'],
        params: EntryParams,
        response: { 200: WaitlistEntrySchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const principal = await requirePrincipal(request, tokens);
      const { entry, position } = await fairShare.entry(principal, request.params.id, request.appLog);
      return entryView(entry, position, principal, deps.now());
    },
  );

  app.get(
    '/eu/esperas',
    {
      schema: {
        summary: "The caller's open waitlist entries and holds (future slots)",
        tags: ['fila de espera'],
        response: { 200: Type.Object({}, { additionalProperties: true }), ...problemResponses(401) },
      },
    },
    async (request) => {
      const principal = await requirePrincipal(request, tokens);
      const entries = await fairShare.entriesOf(principal.id, request.appLog);
      const now = deps.now();
      return {
        _links: { self: { href: '/eu/esperas' } },
        _embedded: { esperas: entries.map((e) => entryView(e.entry, e.position, principal, now)) },
      };
    },
  );

  app.post(
    '/esperas/:id/confirmacao',
    {
      schema: {
        summary: 'Confirm a hold: book the held slot (the target of _links.confirmar)',
        description:
          'Accepts Idempotency-Key: a retry with the same key returns the original answer (201 or refusal).',
        tags: ['fila de espera'],
        params: EntryParams,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        response: { 201: BookingSchema, ...problemResponses(400, 401, 403, 404, 409, 422, 503) },
      },
    },
    async (request, reply) => {
      const receivedAt = deps.now();
      request.appLog.info(`Requisição recebida para POST /esperas/${request.params.id}/confirmacao`);
      const principal = await requirePrincipal(request, tokens);
      const { entry } = await fairShare.entry(principal, request.params.id, request.appLog);
      if (entry.cientista_id !== principal.id)
        throw new AppError('forbidden', 'Only the scientist holding the slot may confirm it');
      // An entry that no longer holds the slot is refused inside book() (409 hold-expired, or
      // slot-taken/slot-held when someone has the slot now): a decision, recorded and signed.
      // A retry of a confirmation (Idempotency-Key) gets the original answer, not hold-expired.
      return createOnce(deps.idempotency, request, reply, {
        scope: `cientista:${principal.id}`,
        fingerprint: { confirmacao: entry.id },
        create: async () => {
          const { booking, recibo } = await bookings.book({
            actor: principal,
            telescopioId: entry.telescopio_id,
            inicio: formatUtcSeconds(entry.slot_inicio_ms),
            esperaId: entry.id,
            log: request.appLog,
            traceId: request.traceId,
            receivedAt,
          });
          return {
            body: { ...bookingView(booking, principal, deps.now()), recibo },
            location: path`/agendamentos/${booking.id}`,
          };
        },
      });
    },
  );

  app.post(
    '/esperas/:id/saida',
    {
      schema: {
        summary: 'Leave a waitlist (its scientist or an admin); a hold passes to the next waiter',
        tags: ['fila de espera'],
        params: EntryParams,
        response: { 200: WaitlistEntrySchema, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const principal = await requirePrincipal(request, tokens);
      const left = await fairShare.leave({
        actor: principal,
        id: request.params.id,
        log: request.appLog,
        traceId: request.traceId,
      });
      return entryView(left, undefined, principal, deps.now());
    },
  );

  app.get(
    '/telescopios/:id/demanda',
    {
      schema: {
        summary: 'Anonymised contention per slot: booking attempts, waiters, and whether it is booked',
        description:
          'Slots with at least one attempt or waiter in [de, ate), in time order. Default: the current UTC day. ' +
          'At most 7 days per query. No scientist is named.',
        tags: ['telescopios'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: Type.Object(
          {
            de: Type.Optional(
              Type.String({ maxLength: 40, description: 'UTC instant (default: today 00:00Z)' }),
            ),
            ate: Type.Optional(
              Type.String({ maxLength: 40, description: 'UTC instant (default: de + 24 h)' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({}, { additionalProperties: true }), ...problemResponses(400, 404) },
      },
    },
    async (request) => {
      const telescope = await store.findTelescope(request.params.id);
      if (telescope === undefined)
        throw new AppError('not-found', `The telescope "${request.params.id}" does not exist`);
      const now = deps.now();
      const deMs = parseInstantParam('de', request.query.de) ?? Math.floor(now / MS_PER_DAY) * MS_PER_DAY;
      const ateMs = parseInstantParam('ate', request.query.ate) ?? deMs + MS_PER_DAY;
      if (ateMs <= deMs)
        throw new AppError('validation-failed', 'querystring.ate must be after querystring.de');
      if (ateMs - deMs > MAX_DEMAND_RANGE_MS)
        throw new AppError('validation-failed', 'querystring: the range de..ate may span at most 7 days');
      const rows = await fairShare.demand(telescope.id, deMs, ateMs);
      const de = formatUtc(deMs);
      const ate = formatUtc(ateMs);
      const query = new URLSearchParams({ de, ate }).toString();
      return {
        telescopio_id: telescope.id,
        de,
        ate,
        slot_minutos: SLOT_MINUTES,
        slots: rows.map((row) => ({
          horario_inicio_utc: formatUtc(row.slot_inicio_ms),
          tentativas: row.tentativas,
          aguardando: row.aguardando,
          ocupado: row.ocupado,
        })),
        _links: {
          self: { href: `${path`/telescopios/${telescope.id}/demanda`}?${query}` },
          telescopio: { href: telescopeHref(telescope.id) },
        },
      };
    },
  );
}
