import { AppError, invalidFields } from '@dslab/errors';
import { problemResponses, type HttpApp } from '@dslab/http-kit';
import { Type } from 'typebox';
import { hashPassword, verifyPassword } from '../../adapters/passwords.js';
import type { ScientistRow, SchedulerStore } from '../../adapters/store.js';
import type { Principal, TokenService } from '../../adapters/tokens.js';
import type { FairShare } from '../../application/fair-share.js';
import { parsePeriod, type QuotaPeriod } from '../../domain/quota.js';
import { formatUtc } from '../../domain/time.js';
import { validateEmail, validateName, validatePassword } from '../../domain/validation.js';
import { optionalPrincipal, requirePrincipal } from './auth.js';
import { maySeePrivate, ScientistSchema, scientistView } from './representations.js';

export interface AccountDeps {
  store: SchedulerStore;
  tokens: TokenService;
  now: () => number;
  fairShare: FairShare;
}

const QuotaBody = Type.Object(
  {
    minutos: Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000 }), Type.Null()], {
      description: 'observing minutes per calendar month (UTC); null returns to the default',
    }),
  },
  { additionalProperties: false },
);

const RegisterBody = Type.Object(
  {
    nome: Type.String({ minLength: 1, maxLength: 120 }),
    email: Type.String({ minLength: 3, maxLength: 254 }),
    senha: Type.String({ minLength: 8, maxLength: 200 }),
    instituicao: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const TokenBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    senha: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

export function registerAccountRoutes(app: HttpApp, deps: AccountDeps): void {
  const { store, tokens, fairShare } = deps;

  /** The scientist's quota in `period` (default: the current month), for the scientist and admins only. */
  async function quotaFor(row: ScientistRow, principal: Principal | undefined, periodo?: string) {
    if (!maySeePrivate(row, principal)) return undefined;
    let period: QuotaPeriod | undefined;
    if (periodo !== undefined) {
      const parsed = parsePeriod(periodo);
      if (!parsed.ok) throw invalidFields([{ field: 'querystring.periodo', message: parsed.reason }]);
      period = parsed.period;
    }
    const quota = await fairShare.quotaOf(row.id, row.cota_minutos, period);
    return {
      periodo: quota.periodo,
      inicio_utc: formatUtc(quota.period.startMs),
      fim_utc: formatUtc(quota.period.endMs),
      alocados_minutos: quota.alocados_minutos,
      usados_minutos: quota.usados_minutos,
      restantes_minutos: quota.restantes_minutos,
      padrao: quota.padrao,
      aviso_reembolso_horas: fairShare.settings.refundNoticeMs / 3_600_000,
    };
  }
  // Checked when an e-mail is unknown, so response time does not reveal which accounts exist.
  const dummyHash = hashPassword('not-a-real-password-0000');

  app.post(
    '/cientistas',
    {
      schema: {
        summary: 'Register a scientist (self-registration)',
        tags: ['cientistas'],
        body: RegisterBody,
        response: { 201: ScientistSchema, ...problemResponses(400, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const problems: { field: string; message: string }[] = [];
      const nome = validateName(request.body.nome);
      const email = validateEmail(request.body.email);
      const senha = validatePassword(request.body.senha);
      if (!nome.ok) problems.push({ field: 'body.nome', message: nome.reason });
      if (!email.ok) problems.push({ field: 'body.email', message: email.reason });
      if (!senha.ok) problems.push({ field: 'body.senha', message: senha.reason });
      const instituicao = request.body.instituicao?.trim();
      if (instituicao !== undefined && /\p{Cc}/u.test(instituicao))
        problems.push({ field: 'body.instituicao', message: 'must not contain control characters' });
      if (!nome.ok || !email.ok || !senha.ok || problems.length > 0) {
        throw invalidFields(problems);
      }
      const row = await store.insertScientist({
        nome: nome.value,
        email: email.value.toLowerCase(),
        senha_hash: await hashPassword(senha.value),
        instituicao: instituicao === undefined || instituicao === '' ? null : instituicao,
        papel: 'cientista',
        criado_em_utc: formatUtc(deps.now()),
      });
      request.appLog.info(`Cientista registrado (ID: ${row.id})`);
      const principal = { id: row.id, papel: row.papel, email: row.email };
      return reply
        .code(201)
        .header('location', `/cientistas/${row.id}`)
        .send({
          ...scientistView(row, principal),
          _links: {
            ...scientistView(row, principal)._links,
            token: { href: '/auth/token', method: 'POST', title: 'Obter um token de acesso' },
          },
        });
    },
  );

  app.get(
    '/cientistas/:id',
    {
      schema: {
        summary: 'One scientist (public profile; e-mail only for the scientist and admins)',
        tags: ['cientistas'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        querystring: Type.Object(
          {
            periodo: Type.Optional(
              Type.String({ maxLength: 7, description: 'month of the quota shown (YYYY-MM); default: now' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: ScientistSchema, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      // Bookings are public and link to their scientist, so the profile is public too.
      const principal = await optionalPrincipal(request, tokens);
      const row = await store.findScientist(request.params.id);
      if (row === undefined) throw new AppError('not-found', `Scientist ${request.params.id} does not exist`);
      return scientistView(row, principal, await quotaFor(row, principal, request.query.periodo));
    },
  );

  app.put(
    '/cientistas/:id/cota',
    {
      schema: {
        summary: "Set a scientist's time allocation per calendar month (admin)",
        tags: ['cientistas'],
        params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
        body: QuotaBody,
        response: { 200: ScientistSchema, ...problemResponses(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request) => {
      const principal = await requirePrincipal(request, tokens);
      if (principal.papel !== 'admin')
        throw new AppError('forbidden', 'Only admins may set time allocations');
      await fairShare.setAllocation(
        principal,
        request.params.id,
        request.body.minutos,
        request.appLog,
        request.traceId,
      );
      const row = await store.findScientist(request.params.id);
      if (row === undefined) throw new AppError('not-found', `Scientist ${request.params.id} does not exist`);
      return scientistView(row, principal, await quotaFor(row, principal));
    },
  );

  app.post(
    '/auth/token',
    {
      schema: {
        summary: 'Exchange e-mail and senha for a Bearer access token (JWT)',
        tags: ['auth'],
        body: TokenBody,
        response: {
          200: Type.Object({
            access_token: Type.String(),
            token_type: Type.Literal('Bearer'),
            expires_in: Type.Integer(),
          }),
          ...problemResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const row = await store.findScientistByEmail(request.body.email.trim().toLowerCase());
      const valid = await verifyPassword(request.body.senha, row?.senha_hash ?? (await dummyHash));
      if (row === undefined || !valid) throw new AppError('invalid-credentials', 'E-mail or senha is wrong');
      const access = await tokens.issue({ id: row.id, papel: row.papel, email: row.email });
      return reply
        .header('cache-control', 'no-store')
        .send({ access_token: access, token_type: 'Bearer' as const, expires_in: tokens.ttlSeconds });
    },
  );

  app.get(
    '/eu',
    {
      schema: {
        summary: 'The authenticated scientist',
        tags: ['cientistas'],
        response: { 200: ScientistSchema, ...problemResponses(401) },
      },
    },
    async (request) => {
      const principal = await requirePrincipal(request, tokens);
      const row = await store.findScientist(principal.id);
      if (row === undefined)
        throw new AppError('unauthenticated', 'The account of this token no longer exists');
      return scientistView(row, principal, await quotaFor(row, principal));
    },
  );
}
