import type { HttpApp } from '@dslab/http-kit';
import { Type } from 'typebox';
import type { TokenService } from '../../adapters/tokens.js';
import { formatUtc } from '../../domain/time.js';
import { optionalPrincipal } from './auth.js';
import type { WebClient } from './routes-web.js';
import { createPreciseWallClock } from '../../adapters/precise-clock.js';

/** GET / (the API root every client starts from) and GET /time (the source of truth for time). */
export function registerRootRoutes(
  app: HttpApp,
  deps: { tokens: TokenService; now: () => number; webClient?: WebClient },
): void {
  // The receive/transmit stamps of a clock-sync exchange want sub-millisecond resolution.
  const preciseNow = createPreciseWallClock();
  app.get(
    '/',
    { schema: { summary: 'API root: links to everything a client can do', tags: ['raiz'] } },
    async (request, reply) => {
      // Content negotiation: a browser (Accept prefers text/html) gets the web client, which then
      // asks this same URL for JSON; API clients (JSON, */*, no Accept) get the HAL root.
      void reply.header('vary', 'accept, authorization');
      if (deps.webClient?.wantsPage(request) === true) return deps.webClient.sendPage(request, reply);
      const principal = await optionalPrincipal(request, deps.tokens).catch(() => undefined);
      return {
        servico: 'servico-agendamento',
        _links: {
          self: { href: '/' },
          telescopios: { href: '/telescopios' },
          agendamentos: {
            href: '/agendamentos{?telescopio_id,cientista_id,status,de,ate,limite,offset}',
            templated: true,
          },
          agendar: { href: '/agendamentos', method: 'POST', title: 'Criar agendamento (requer token)' },
          registrar: { href: '/cientistas', method: 'POST', title: 'Registrar cientista' },
          token: { href: '/auth/token', method: 'POST', title: 'Obter token de acesso' },
          tempo: { href: '/time', title: 'Hora oficial do servidor' },
          eventos: { href: '/eventos', title: 'Eventos de agendamento em tempo real (Server-Sent Events)' },
          jwks: { href: '/.well-known/jwks.json', title: 'Chave pública que assina os recibos de decisão' },
          documentacao: { href: '/docs' },
          ...(principal === undefined
            ? {}
            : { eu: { href: `/cientistas/${principal.id}` }, esperas: { href: '/eu/esperas' } }),
          ...(principal?.papel === 'admin'
            ? { auditoria: { href: '/auditoria' }, verificacao_auditoria: { href: '/auditoria/verificacao' } }
            : {}),
        },
      };
    },
  );

  app.get(
    '/time',
    {
      schema: {
        summary: "The server's time (Cristian / NTP style): receive and transmit timestamps",
        tags: ['tempo'],
        response: {
          200: Type.Object({
            server_time_utc: Type.String(),
            epoch_ms: Type.Number(),
            recebido_epoch_ms: Type.Number({ description: 'server time the request was received (t1)' }),
            enviado_epoch_ms: Type.Number({ description: 'server time the answer was sent (t2)' }),
          }),
        },
      },
    },
    async (request, reply) => {
      const received = preciseNow();
      request.appLog.info(`Requisição recebida em GET /time do IP ${request.ip}`);
      const sent = preciseNow();
      return reply.header('cache-control', 'no-store').send({
        server_time_utc: formatUtc(Math.floor(sent)),
        epoch_ms: sent,
        recebido_epoch_ms: received,
        enviado_epoch_ms: sent,
      });
    },
  );
}
