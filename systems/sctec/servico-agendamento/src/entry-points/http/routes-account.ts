import { AppError, invalidFields } from '@dslab/errors';
import { problemResponses, type HttpApp } from '@dslab/http-kit';
import { Type } from 'typebox';
import { hashPassword, verifyPassword } from '../../adapters/passwords.js';
import type { SchedulerStore } from '../../adapters/store.js';
import type { TokenService } from '../../adapters/tokens.js';
import { formatUtc } from '../../domain/time.js';
import { validateEmail, validateName, validatePassword } from '../../domain/validation.js';
import { optionalPrincipal, requirePrincipal } from './auth.js';
import { ScientistSchema, scientistView } from './representations.js';

export interface AccountDeps {
  store: SchedulerStore;
  tokens: TokenService;
  now: () => number;
}

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
  const { store, tokens } = deps;
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
        response: { 200: ScientistSchema, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      // Bookings are public and link to their scientist, so the profile is public too.
      const principal = await optionalPrincipal(request, tokens);
      const row = await store.findScientist(request.params.id);
      if (row === undefined) throw new AppError('not-found', `Scientist ${request.params.id} does not exist`);
      return scientistView(row, principal);
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
      return scientistView(row, principal);
    },
  );
}
