/**
 * GET /eventos: the live booking events for browsers (seed 000, "disseminação de eventos em
 * tempo real"). The coordinator numbers and streams the events (internal, behind its secret);
 * this relay keeps ONE upstream subscription per scheduler process, from start-up, and fans it
 * out to every connected browser with the coordinator's ids, so a browser's Last-Event-ID is
 * replayed from the relay's own buffer. Whenever the upstream is lost and comes back (or the
 * coordinator itself says `reset`), every browser gets `event: reset`: events published
 * meanwhile may be gone, so the page reloads its state. See docs/decisions/0004-live-events.md.
 */
import {
  createSseHub,
  streamRefusal,
  subscribeEvents,
  type SseHub,
  type SseMessage,
  type Subscription,
} from '@dslab/event-client';
import { AppError } from '@dslab/errors';
import { problemResponses, type HttpApp } from '@dslab/http-kit';
import type { Logger } from '@dslab/logging';
import { Type } from 'typebox';

export interface EventRelay {
  /** Opens the upstream subscription (idempotent). buildApp calls it when the app is ready. */
  start(): void;
  readonly hub: SseHub;
  readonly upstreamConnected: boolean;
  /** Ends every browser stream and the upstream subscription. */
  close(): Promise<void>;
}

export interface EventRelayOptions {
  /** The coordinator's stream: COORDINATOR_URL + '/eventos'. */
  url: string;
  secret?: string | undefined;
  logger: Logger;
  /** Events kept for browsers' Last-Event-ID (default 1000). */
  capacity?: number;
  /** `: ping` to browsers (default 15 000 ms). */
  heartbeatMs?: number;
  /** Reconnection backoff towards the coordinator (default 500 ms doubling to 5 s). */
  retry?: { initialMs?: number; maxMs?: number };
  maxSubscribers?: number;
}

export function createEventRelay(options: EventRelayOptions): EventRelay {
  const { logger } = options;
  const hub = createSseHub({
    capacity: options.capacity ?? 1000,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    ...(options.maxSubscribers === undefined ? {} : { maxSubscribers: options.maxSubscribers }),
  });
  let subscription: Subscription | undefined;
  let failing = false;
  // A reset already went out for the current discontinuity (so the coordinator's own reset
  // right after a reconnection is not sent twice).
  let resetPending = false;

  function reset(reason: 'upstream-reconnected' | 'upstream-reset' | 'out-of-order', why: string): void {
    if (resetPending) return;
    resetPending = true;
    const browsers = hub.reset(reason);
    logger.info(`${why}; reset enviado a ${browsers} navegadores (eventos podem ter sido perdidos)`);
  }

  function forward(message: SseMessage): void {
    const id = Number(message.id);
    if (message.id === undefined || !Number.isSafeInteger(id) || id < 1) {
      logger.warn(`Evento ${message.event} do coordenador sem id válido (${String(message.id)}); ignorado`);
      return;
    }
    if (hub.latestId !== undefined && id <= hub.latestId) {
      resetPending = false;
      reset('out-of-order', `Evento ${id} do coordenador não segue o ${hub.latestId}`);
    }
    resetPending = false;
    const browsers = hub.publish({ id, event: message.event, data: message.data });
    logger.debug(`Evento ${message.event} (id ${id}) repassado a ${browsers} navegadores`);
  }

  return {
    hub,
    get upstreamConnected() {
      return subscription?.connected ?? false;
    },
    start() {
      if (subscription !== undefined || hub.closed) return;
      subscription = subscribeEvents({
        url: options.url,
        secret: options.secret,
        retry: { initialMs: options.retry?.initialMs ?? 500, maxMs: options.retry?.maxMs ?? 5_000 },
        onOpen: ({ reconnected }) => {
          failing = false;
          if (reconnected) {
            resetPending = false;
            reset('upstream-reconnected', 'Reconectado ao fluxo de eventos do coordenador');
          } else {
            logger.info(`Conectado ao fluxo de eventos do coordenador (${options.url})`);
          }
        },
        onEvent: forward,
        onReset: (message) => {
          let motivo = '';
          try {
            const parsed = (JSON.parse(message.data) as { motivo?: unknown }).motivo;
            if (typeof parsed === 'string') motivo = parsed;
          } catch {
            // the reason is informative only
          }
          reset('upstream-reset', `O coordenador pediu reset do fluxo de eventos (${motivo})`);
        },
        onError: (error, { retryInMs }) => {
          const line = `Fluxo de eventos do coordenador indisponível (${error.message}); tentando novamente em ${retryInMs} ms`;
          // One warning per outage; the retries after it at debug level.
          if (failing) logger.debug(line);
          else logger.warn(line);
          failing = true;
        },
      });
    },
    async close() {
      hub.close();
      const current = subscription;
      subscription = undefined;
      await current?.close();
    },
  };
}

const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({ maxLength: 64, description: 'resume after this event id (EventSource sends it)' }),
  ),
});

export function registerEventRoutes(app: HttpApp, deps: { relay: EventRelay | undefined }): void {
  const { relay } = deps;
  app.get(
    '/eventos',
    {
      // One long request per browser: a per-minute request limit means nothing here.
      config: { rateLimit: false },
      schema: {
        summary:
          'Live events (Server-Sent Events): AGENDAMENTO_CRIADO, AGENDAMENTO_CANCELADO, ESPERA_OFERECIDA, ESPERA_EXPIRADA',
        description:
          'text/event-stream, for EventSource. Each event: `id: <id>`, `event: <tipo>`, `data: <JSON>`. ' +
          'AGENDAMENTO_CRIADO / AGENDAMENTO_CANCELADO (a booking created or cancelled): tipo, agendamento_id, ' +
          'telescopio_id, cientista_id, horario_inicio_utc, horario_fim_utc, status ("ativo" / "cancelado"), ' +
          'audit_seq, emitido_em_utc. ESPERA_OFERECIDA / ESPERA_EXPIRADA (a freed slot held for a waiter, or ' +
          'that hold run out unconfirmed): tipo, espera_id, telescopio_id, cientista_id (the waiter), ' +
          'horario_inicio_utc, horario_fim_utc (the slot), status ("oferecida" / "expirada"), ' +
          'oferta_expira_em_utc (when the hold ends or ended), audit_seq, emitido_em_utc; the waiter GETs ' +
          '/esperas/{espera_id} for its confirmar link. On reconnection the browser sends Last-Event-ID and ' +
          'gets the events it missed; when they are no longer known, `event: reset` tells it to reload its ' +
          'state (GET /agendamentos, GET /eu/esperas). A `: ping` comment every 15 s.',
        tags: ['eventos'],
        headers: StreamHeaders,
        response: {
          200: {
            description: 'the event stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...problemResponses(400, 503),
        },
      },
    },
    async (request, reply) => {
      if (relay === undefined) {
        throw new AppError('unavailable', 'Live events are not configured on this scheduler');
      }
      const refusal = streamRefusal(relay.hub, 'scheduler');
      if (refusal !== undefined) throw refusal;
      const lastEventId = request.headers['last-event-id'];
      reply.hijack();
      const resumed = relay.hub.attach(reply.raw, { lastEventId, headers: reply.getHeaders() });
      const log = request.appLog;
      const count = () => relay.hub.subscribers;
      if (resumed.kind === 'reset') {
        log.info(
          `Navegador conectado ao fluxo de eventos; Last-Event-ID ${lastEventId ?? ''} não pode ser retomado (${resumed.reason}), enviando reset (${count()} conectados)`,
        );
      } else if (resumed.kind === 'replay') {
        log.info(
          `Navegador conectado ao fluxo de eventos; reenviando ${resumed.events.length} eventos (${count()} conectados)`,
        );
      } else {
        log.info(`Navegador conectado ao fluxo de eventos (${count()} conectados)`);
      }
      reply.raw.once('close', () =>
        log.info(`Navegador desconectado do fluxo de eventos (${count()} conectados)`),
      );
    },
  );
}
