import { Type } from 'typebox';
import type { BookingRow, ScientistRow, TelescopeRow } from '../../adapters/store.js';
import type { Principal } from '../../adapters/tokens.js';
import { bookingLinks, scientistHref, telescopeHref } from '../../domain/links.js';

/** HAL link as served: href plus a method hint on non-GET links. */
const LinkSchema = Type.Object(
  {
    href: Type.String(),
    method: Type.Optional(Type.String()),
    title: Type.Optional(Type.String()),
    templated: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const LinksSchema = Type.Record(Type.String(), LinkSchema);

export const BookingSchema = Type.Object({
  id: Type.Integer(),
  telescopio_id: Type.String(),
  cientista_id: Type.Integer(),
  horario_inicio_utc: Type.String({ format: 'date-time' }),
  horario_fim_utc: Type.String({ format: 'date-time' }),
  status: Type.Union([Type.Literal('ativo'), Type.Literal('cancelado')]),
  recebido_em_utc: Type.String({ format: 'date-time', description: 'server time the request arrived' }),
  criado_em_utc: Type.String({ format: 'date-time' }),
  horario_clique_utc: Type.Union([Type.String(), Type.Null()], {
    description: "client's synced click time (evidence)",
  }),
  incerteza_ms: Type.Union([Type.Number(), Type.Null()], {
    description: "uncertainty of the client's click time",
  }),
  cancelado_em_utc: Type.Union([Type.String(), Type.Null()]),
  recibo: Type.Optional(
    Type.String({ description: 'signed decision receipt (only in the answer that decided the booking)' }),
  ),
  reembolso_minutos: Type.Optional(
    Type.Integer({ description: 'minutes given back to the quota (only in the cancellation answer)' }),
  ),
  _links: LinksSchema,
});

export const ScientistSchema = Type.Object({
  id: Type.Integer(),
  nome: Type.String(),
  email: Type.Optional(Type.String({ description: 'shown only to the scientist and to admins' })),
  instituicao: Type.Union([Type.String(), Type.Null()]),
  papel: Type.String(),
  criado_em_utc: Type.String(),
  cota: Type.Optional(
    Type.Object(
      {
        periodo: Type.String({ description: 'calendar month, UTC (YYYY-MM)' }),
        inicio_utc: Type.String(),
        fim_utc: Type.String(),
        alocados_minutos: Type.Integer(),
        usados_minutos: Type.Integer(),
        restantes_minutos: Type.Integer(),
        padrao: Type.Boolean({ description: 'true when the default allocation applies' }),
        aviso_reembolso_horas: Type.Number(),
      },
      { description: 'time quota; shown only to the scientist and to admins' },
    ),
  ),
  _links: LinksSchema,
});

/** A scientist's quota of one period, as GET /cientistas/{id} shows it. */
export interface QuotaView {
  periodo: string;
  inicio_utc: string;
  fim_utc: string;
  alocados_minutos: number;
  usados_minutos: number;
  restantes_minutos: number;
  padrao: boolean;
  aviso_reembolso_horas: number;
}

export const TelescopeSchema = Type.Object({
  id: Type.String(),
  nome: Type.String(),
  descricao: Type.Union([Type.String(), Type.Null()]),
  _links: LinksSchema,
});

/** Who is looking: decides whether `cancelar` is offered. Anonymous viewers never get it. */
export function viewerOf(principal: Principal | undefined) {
  return principal === undefined
    ? { id: -1, papel: 'cientista' as const }
    : { id: principal.id, papel: principal.papel };
}

export function bookingView(row: BookingRow, principal: Principal | undefined, now: number) {
  const links = bookingLinks(
    {
      id: row.id,
      telescopio_id: row.telescopio_id,
      cientista_id: row.cientista_id,
      status: row.status,
      startMs: row.inicio_ms,
    },
    viewerOf(principal),
    now,
  );
  return {
    id: row.id,
    telescopio_id: row.telescopio_id,
    cientista_id: row.cientista_id,
    horario_inicio_utc: row.horario_inicio_utc,
    horario_fim_utc: row.horario_fim_utc,
    status: row.status,
    recebido_em_utc: row.recebido_em_utc,
    criado_em_utc: row.criado_em_utc,
    horario_clique_utc: row.horario_clique_utc,
    incerteza_ms: row.incerteza_ms,
    cancelado_em_utc: row.cancelado_em_utc,
    _links: { ...links },
  };
}

/** The scientist themself or an admin: may see the e-mail and the quota. */
export function maySeePrivate(row: Pick<ScientistRow, 'id'>, principal: Principal | undefined): boolean {
  return principal !== undefined && (principal.id === row.id || principal.papel === 'admin');
}

export function scientistView(row: ScientistRow, principal: Principal | undefined, cota?: QuotaView) {
  const self = principal?.id === row.id;
  return {
    id: row.id,
    nome: row.nome,
    ...(maySeePrivate(row, principal) ? { email: row.email } : {}),
    instituicao: row.instituicao,
    papel: row.papel,
    criado_em_utc: row.criado_em_utc,
    ...(cota !== undefined && maySeePrivate(row, principal) ? { cota } : {}),
    _links: {
      self: { href: scientistHref(row.id) },
      agendamentos: { href: `/agendamentos?cientista_id=${row.id}` },
      ...(self ? { agendar: { href: '/agendamentos', method: 'POST' } } : {}),
      ...(self ? { esperas: { href: '/eu/esperas', title: 'Minhas filas de espera' } } : {}),
      ...(maySeePrivate(row, principal)
        ? { cota: { href: `${scientistHref(row.id)}{?periodo}`, templated: true, title: 'Cota de um mês' } }
        : {}),
      ...(principal?.papel === 'admin'
        ? { definir_cota: { href: `${scientistHref(row.id)}/cota`, method: 'PUT', title: 'Definir a cota' } }
        : {}),
    },
  };
}

export function telescopeView(row: TelescopeRow) {
  return {
    id: row.id,
    nome: row.nome,
    descricao: row.descricao,
    _links: {
      self: { href: telescopeHref(row.id) },
      agendamentos: { href: `/agendamentos?telescopio_id=${encodeURIComponent(row.id)}` },
      agendar: { href: '/agendamentos', method: 'POST', title: `Agendar o ${row.nome}` },
      demanda: {
        href: `${telescopeHref(row.id)}/demanda{?de,ate}`,
        templated: true,
        title: 'Disputa por horário (anônima)',
      },
    },
  };
}
