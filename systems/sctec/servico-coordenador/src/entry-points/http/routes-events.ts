/**
 * POST /eventos and GET /eventos: the coordinator's real-time booking events (seed 000,
 * "disseminação de eventos em tempo real"). The scheduler POSTs an event after a booking is
 * created or cancelled; every subscriber of the Server-Sent Events stream receives it with a
 * strictly increasing id. See docs/decisions/0004-live-events.md.
 */
import { BOOKING_EVENT_TYPES, streamRefusal } from '@dslab/event-client';
import { invalidFields } from '@dslab/errors';
import { problemResponses, type HttpApp } from '@dslab/http-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
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

const Dados = Type.Object(
  {
    agendamento_id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    telescopio_id: Type.String({ minLength: 1, maxLength: 128, pattern: '^\\P{Cc}*$' }),
    cientista_id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    horario_inicio_utc: UtcInstant,
    horario_fim_utc: UtcInstant,
    status: Type.Enum(['ativo', 'cancelado']),
    audit_seq: Type.Integer({
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'seq of the audit entry committed with the change: the commit order of changes',
    }),
  },
  { additionalProperties: false, description: 'the booking as it is after the change' },
);

const EventBody = Type.Object(
  { tipo: Type.Enum([...BOOKING_EVENT_TYPES]), dados: Dados },
  { additionalProperties: false },
);

const Accepted = Type.Object(
  { id: Type.Integer({ minimum: 1, description: 'the event id on the stream (strictly increasing)' }) },
  { additionalProperties: false },
);

const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({ maxLength: 64, description: 'resume after this event id (what EventSource sends)' }),
  ),
});

const EXPECTED_STATUS = { AGENDAMENTO_CRIADO: 'ativo', AGENDAMENTO_CANCELADO: 'cancelado' } as const;

/** What JSON Schema cannot say: consistent type and status, real instants, start before end. */
function checkMeaning(body: Static<typeof EventBody>): void {
  const errors: { field: string; message: string }[] = [];
  const { tipo, dados } = body;
  if (dados.status !== EXPECTED_STATUS[tipo]) {
    errors.push({ field: 'body.dados.status', message: `must be "${EXPECTED_STATUS[tipo]}" for ${tipo}` });
  }
  const start = Date.parse(dados.horario_inicio_utc);
  const end = Date.parse(dados.horario_fim_utc);
  const real = (text: string, ms: number) =>
    !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === text.slice(0, 19);
  if (!real(dados.horario_inicio_utc, start)) {
    errors.push({ field: 'body.dados.horario_inicio_utc', message: 'is not a real instant' });
  }
  if (!real(dados.horario_fim_utc, end)) {
    errors.push({ field: 'body.dados.horario_fim_utc', message: 'is not a real instant' });
  } else if (!Number.isNaN(start) && end <= start) {
    errors.push({ field: 'body.dados.horario_fim_utc', message: 'must be after horario_inicio_utc' });
  }
  if (errors.length > 0) {
    throw invalidFields(errors);
  }
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
    help: 'Booking events received and disseminated, by tipo',
    labelNames: ['tipo'] as const,
    registers,
  });
  for (const tipo of BOOKING_EVENT_TYPES) published.inc({ tipo }, 0);

  app.post(
    '/eventos',
    {
      ...guard,
      schema: {
        summary: 'Publish a booking event to every subscriber of GET /eventos',
        description:
          'Sent by servico-agendamento after a booking is created or cancelled (after its transaction commits). ' +
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
        summary: 'Server-Sent Events stream of booking events (internal: the scheduler relays it)',
        description:
          'text/event-stream. Each event: `id: <id>`, `event: AGENDAMENTO_CRIADO|AGENDAMENTO_CANCELADO`, ' +
          '`data: <JSON of dados plus tipo and emitido_em_utc>`. With Last-Event-ID the buffered events after ' +
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
