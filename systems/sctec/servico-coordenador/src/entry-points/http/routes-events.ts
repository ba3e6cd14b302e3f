/**
 * POST /eventos and GET /eventos: the coordinator's real-time events (seed 000, "disseminação de
 * eventos em tempo real"). The scheduler POSTs an event after a change commits — a booking created
 * or cancelled (AGENDAMENTO_CRIADO / AGENDAMENTO_CANCELADO), a waitlist hold offered or expired
 * (ESPERA_OFERECIDA / ESPERA_EXPIRADA); every subscriber of the Server-Sent Events stream receives
 * it with a strictly increasing id. See docs/decisions/0004-live-events.md.
 */
import {
  ALL_EVENT_TYPES,
  BOOKING_EVENT_TYPES,
  EVENT_STATUS,
  isBookingEventType,
  isWaitlistEventType,
  streamRefusal,
  WAITLIST_EVENT_TYPES,
} from '@dslab/event-client';
import { invalidFields, type FieldError } from '@dslab/errors';
import { describeValidationErrors, problemResponses, type HttpApp } from '@dslab/http-kit';
import type { FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { Counter, Gauge } from 'prom-client';
import { Type, type Static } from 'typebox';
import type { EventFeed } from '../../event-feed.js';

export interface EventRouteDeps {
  feed: EventFeed;
  /** The shared-secret check, on both routes, if given. */
  authenticate?: ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined;
}

/** UTC ISO-8601 with `Z`, seconds required, milliseconds optional (the scheduler sends `…:00Z`). */
const UtcInstant = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$',
  maxLength: 24,
  examples: ['2025-12-01T03:00:00Z'],
});
const PositiveId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const TelescopeId = Type.String({ minLength: 1, maxLength: 128, pattern: '^\\P{Cc}*$' });
const AuditSeq = Type.Integer({
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'seq of the audit entry committed with the change: the commit order of changes',
});

const BookingDados = Type.Object(
  {
    agendamento_id: PositiveId,
    telescopio_id: TelescopeId,
    cientista_id: PositiveId,
    horario_inicio_utc: UtcInstant,
    horario_fim_utc: UtcInstant,
    status: Type.Enum(['ativo', 'cancelado']),
    audit_seq: AuditSeq,
  },
  { additionalProperties: false, description: 'the booking as it is after the change' },
);

const WaitlistDados = Type.Object(
  {
    espera_id: PositiveId,
    telescopio_id: TelescopeId,
    cientista_id: Type.Integer({
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'the waiter the entry belongs to',
    }),
    horario_inicio_utc: UtcInstant,
    horario_fim_utc: UtcInstant,
    status: Type.Enum(['oferecida', 'expirada'], {
      description: '"oferecida" for ESPERA_OFERECIDA, "expirada" for ESPERA_EXPIRADA',
    }),
    oferta_expira_em_utc: Type.Union([UtcInstant, Type.Null()], {
      description: 'until when the hold is offered: required (not null) for ESPERA_OFERECIDA',
    }),
    audit_seq: AuditSeq,
  },
  { additionalProperties: false, description: 'the waitlist entry as it is after the change' },
);

const BookingEventBody = Type.Object(
  { tipo: Type.Enum([...BOOKING_EVENT_TYPES]), dados: BookingDados },
  { additionalProperties: false, title: 'Booking event' },
);

const WaitlistEventBody = Type.Object(
  { tipo: Type.Enum([...WAITLIST_EVENT_TYPES]), dados: WaitlistDados },
  { additionalProperties: false, title: 'Waitlist event' },
);

/** Branch 0 (`#/anyOf/0`) booking events, branch 1 (`#/anyOf/1`) waitlist events: see narrowErrors. */
const EventBody = Type.Union([BookingEventBody, WaitlistEventBody], {
  description: '`dados` is the booking (AGENDAMENTO_*) or the waitlist entry (ESPERA_*) after the change',
});

const Accepted = Type.Object(
  { id: Type.Integer({ minimum: 1, description: 'the event id on the stream (strictly increasing)' }) },
  { additionalProperties: false },
);

const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({ maxLength: 64, description: 'resume after this event id (what EventSource sends)' }),
  ),
});

/**
 * The schema errors that concern the body as it was meant. A union reports the failures of every
 * branch (a booking event with a bad id would also hear that it lacks espera_id); `tipo` says which
 * branch the sender meant, so only that branch's errors are kept. Without a known `tipo` the
 * `dados` cannot be judged: the errors name `tipo` and whatever is wrong at the top level.
 */
function narrowErrors(errors: readonly FastifySchemaValidationError[], body: unknown): FieldError[] {
  const tipo =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>).tipo
      : undefined;
  const known = typeof tipo === 'string' && (isBookingEventType(tipo) || isWaitlistEventType(tipo));
  if (known) {
    const branch = isBookingEventType(tipo) ? '#/anyOf/0/' : '#/anyOf/1/';
    return describeValidationErrors(
      collapseNullable(errors.filter((e) => e.schemaPath.startsWith(branch))) as never,
      'body',
    );
  }
  const topLevel = errors.filter(
    (e) => e.schemaPath.startsWith('#/anyOf/0/') && e.instancePath === '' && !isTipoError(e),
  );
  const described = describeValidationErrors(topLevel as never, 'body');
  if (tipo === undefined) {
    // Missing (or the body is not an object): say so once, if the body is an object.
    const missing = errors.find((e) => e.schemaPath.startsWith('#/anyOf/0/') && isTipoError(e));
    if (missing !== undefined) described.push(...describeValidationErrors([missing] as never, 'body'));
  } else {
    described.push({
      field: 'body.tipo',
      message: `must be one of ${ALL_EVENT_TYPES.map((t) => JSON.stringify(t)).join(', ')}`,
    });
  }
  return described;
}

/**
 * A nullable field (`anyOf: [X, null]`) fails with X's errors, "must be null" and "must match a
 * schema in anyOf". Keep what is wrong with the value as X ("must match pattern …"); when the value
 * has neither type, say so once ("must be string or null").
 */
function collapseNullable(errors: FastifySchemaValidationError[]): FastifySchemaValidationError[] {
  let result = errors;
  for (const group of errors.filter((e) => e.keyword === 'anyOf')) {
    const inner = result.filter((e) => e.schemaPath.startsWith(`${group.schemaPath}/`));
    const meaningful = inner.filter((e) => e.keyword !== 'type');
    const types = inner.map((e) => e.params.type).filter((t) => typeof t === 'string');
    const keep =
      meaningful.length > 0
        ? meaningful
        : [{ ...group, keyword: 'type', message: `must be ${types.join(' or ')}` }];
    result = result.filter((e) => e !== group && !inner.includes(e)).concat(keep);
  }
  return result;
}

function isTipoError(error: FastifySchemaValidationError): boolean {
  return (
    error.instancePath === '/tipo' ||
    (error.keyword === 'required' && error.params.missingProperty === 'tipo')
  );
}

/**
 * What JSON Schema cannot say: `status` consistent with `tipo`, real instants, start before end,
 * and for ESPERA_OFERECIDA a real `oferta_expira_em_utc`.
 */
function checkMeaning(body: Static<typeof EventBody>): void {
  const errors: FieldError[] = [];
  const { tipo, dados } = body;
  const expected = EVENT_STATUS[tipo];
  if (dados.status !== expected) {
    errors.push({ field: 'body.dados.status', message: `must be "${expected}" for ${tipo}` });
  }
  const start = Date.parse(dados.horario_inicio_utc);
  const end = Date.parse(dados.horario_fim_utc);
  if (!isRealInstant(dados.horario_inicio_utc)) {
    errors.push({ field: 'body.dados.horario_inicio_utc', message: 'is not a real instant' });
  }
  if (!isRealInstant(dados.horario_fim_utc)) {
    errors.push({ field: 'body.dados.horario_fim_utc', message: 'is not a real instant' });
  } else if (!Number.isNaN(start) && end <= start) {
    errors.push({ field: 'body.dados.horario_fim_utc', message: 'must be after horario_inicio_utc' });
  }
  if (body.tipo === 'ESPERA_OFERECIDA' || body.tipo === 'ESPERA_EXPIRADA') {
    const offer = body.dados.oferta_expira_em_utc;
    if (offer === null) {
      if (body.tipo === 'ESPERA_OFERECIDA') {
        errors.push({
          field: 'body.dados.oferta_expira_em_utc',
          message: 'is required for ESPERA_OFERECIDA (until when the hold is offered)',
        });
      }
    } else if (!isRealInstant(offer)) {
      errors.push({ field: 'body.dados.oferta_expira_em_utc', message: 'is not a real instant' });
    }
  }
  if (errors.length > 0) {
    throw invalidFields(errors);
  }
}

/** A pattern-valid instant that names a real moment (no 30 February, no 25:00). */
function isRealInstant(text: string): boolean {
  const ms = Date.parse(text);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === text.slice(0, 19);
}

export function registerEventRoutes(app: HttpApp, deps: EventRouteDeps): void {
  const { feed, authenticate } = deps;
  const guard = authenticate === undefined ? {} : { onRequest: authenticate };
  const authProblems = authenticate === undefined ? {} : problemResponses(401);

  const registers = [app.metrics];
  new Gauge({
    name: 'coordinator_event_subscribers',
    help: 'Open GET /eventos streams',
    registers,
    collect() {
      this.set(feed.hub.subscribers);
    },
  });
  const published = new Counter({
    name: 'coordinator_events_total',
    help: 'Events (booking and waitlist) received and disseminated, by tipo',
    labelNames: ['tipo'] as const,
    registers,
  });
  for (const tipo of ALL_EVENT_TYPES) published.inc({ tipo }, 0);

  app.post(
    '/eventos',
    {
      ...guard,
      // Schema errors reach the handler, which keeps those of the branch `tipo` names (narrowErrors).
      attachValidation: true,
      schema: {
        summary: 'Publish a booking or waitlist event to every subscriber of GET /eventos',
        description:
          'Sent by servico-agendamento after a change commits: AGENDAMENTO_CRIADO / AGENDAMENTO_CANCELADO ' +
          '(`dados` is the booking, `status` "ativo" / "cancelado") when a booking is created or cancelled, ' +
          'ESPERA_OFERECIDA / ESPERA_EXPIRADA (`dados` is the waitlist entry, `status` "oferecida" / ' +
          '"expirada", `oferta_expira_em_utc` required for ESPERA_OFERECIDA) when a slot\'s hold is offered ' +
          'to a waiter or runs out unconfirmed. ' +
          'The coordinator gives it a strictly increasing id, keeps the latest ones for Last-Event-ID replay, ' +
          'and sends it to every open stream. With several coordinators sharing one event stream (Redis), the id ' +
          'comes from the shared stream and every coordinator sends the event to its own open streams; the 202 ' +
          'then means the event is numbered and stored in the shared stream (this coordinator has normally ' +
          'written it to its own streams already; the others do so as they read the stream). 503 when the ' +
          'shared stream cannot take the event: nothing was published.',
        tags: ['eventos'],
        body: EventBody,
        response: { 202: Accepted, ...authProblems, ...problemResponses(400, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const invalid = request.validationError;
      if (invalid !== undefined) {
        if (invalid.validationContext !== 'body') throw invalid;
        // The errors of the body validator (ajv's ErrorObject shape; Fastify types them `any`).
        const schemaErrors = invalid.validation as FastifySchemaValidationError[];
        throw invalidFields(narrowErrors(schemaErrors, request.body));
      }
      checkMeaning(request.body);
      const { tipo, dados } = request.body;
      // `delivered` counts this coordinator's streams only (with a shared feed, the others deliver it too).
      const { id, delivered } = await feed.publish(tipo, dados);
      published.inc({ tipo });
      request.appLog.info(`Evento ${tipo} recebido e disseminado para ${delivered} assinantes`);
      return reply.code(202).send({ id });
    },
  );

  app.get(
    '/eventos',
    {
      ...guard,
      // One request per subscriber, open for hours: a per-minute request limit means nothing here.
      config: { rateLimit: false },
      schema: {
        summary:
          'Server-Sent Events stream of booking and waitlist events (internal: the scheduler relays it)',
        description:
          'text/event-stream. Each event: `id: <id>`, ' +
          '`event: AGENDAMENTO_CRIADO|AGENDAMENTO_CANCELADO|ESPERA_OFERECIDA|ESPERA_EXPIRADA`, ' +
          '`data: <JSON of dados plus tipo and emitido_em_utc>` (for ESPERA_* `dados` is the waitlist entry: ' +
          'espera_id, telescopio_id, cientista_id, horario_inicio_utc, horario_fim_utc, status, ' +
          'oferta_expira_em_utc, audit_seq). With Last-Event-ID the buffered events after ' +
          'it are replayed first; if they are no longer all buffered (or the id is unknown) the stream starts ' +
          'with `event: reset` and the subscriber must reload its state. A `: ping` comment every 15 s.',
        tags: ['eventos'],
        headers: StreamHeaders,
        response: {
          200: {
            description: 'the event stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...authProblems,
          ...problemResponses(400, 503),
        },
      },
    },
    async (request, reply) => {
      const refusal = streamRefusal(feed.hub, 'coordinator');
      if (refusal !== undefined) throw refusal;
      const log = request.appLog;
      const lastEventId = request.headers['last-event-id'];
      // From here on the stream is ours: Fastify neither serializes nor ends this reply.
      reply.hijack();
      const resumed = feed.hub.attach(reply.raw, { lastEventId, headers: reply.getHeaders() });
      if (resumed.kind === 'replay') {
        log.info(
          `Assinante conectado ao fluxo de eventos; reenviando ${resumed.events.length} eventos após o id ${lastEventId ?? ''} (${feed.hub.subscribers} assinantes)`,
        );
      } else if (resumed.kind === 'reset') {
        log.info(
          `Assinante conectado ao fluxo de eventos; Last-Event-ID ${lastEventId ?? ''} não pode ser retomado (${resumed.reason}), enviando reset (${feed.hub.subscribers} assinantes)`,
        );
      } else {
        log.info(`Assinante conectado ao fluxo de eventos (${feed.hub.subscribers} assinantes)`);
      }
      reply.raw.once('close', () => {
        log.info(`Assinante desconectado do fluxo de eventos (${feed.hub.subscribers} assinantes)`);
      });
    },
  );
}
