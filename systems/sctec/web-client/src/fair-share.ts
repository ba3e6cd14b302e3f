/**
 * Fair share in the page, without the DOM: the scientist's time quota, waitlist entries and their
 * hold countdown, the links a refused booking offers, and signed decision receipts. Pure functions
 * (unit-tested in Node); main.ts and fair-share-view.ts put them on the page.
 */
import type { Hal, Link, Problem } from './api.js';
import { clockText, hhmm } from './slots.js';

/** `cota` of GET /cientistas/{id} (only for the scientist themself and admins). */
export interface Quota {
  readonly periodo: string;
  readonly inicio_utc?: string;
  readonly fim_utc?: string;
  readonly alocados_minutos: number;
  readonly usados_minutos: number;
  readonly restantes_minutos: number;
  readonly padrao?: boolean;
  readonly aviso_reembolso_horas?: number;
}

export type WaitStatus = 'aguardando' | 'oferecida' | 'aceita' | 'expirada' | 'saiu';

/** A waitlist entry (GET /esperas/{id}, or embedded in GET /eu/esperas). */
export interface Espera extends Hal {
  readonly id: number;
  readonly telescopio_id: string;
  readonly horario_inicio_utc: string;
  readonly horario_fim_utc: string;
  readonly cientista_id: number;
  readonly status: WaitStatus;
  /** 1-based among the slot's open entries; null once closed. */
  readonly posicao: number | null;
  readonly entrou_em_utc: string;
  readonly oferta_expira_em_utc: string | null;
  readonly agendamento_id: number | null;
}

const minutes = (n: number) => `${new Intl.NumberFormat('pt-BR').format(n)} min`;

/** ["Cota 2026-12: 10 de 600 min usados", "590 min restantes"]: the header's two lines. */
export function quotaLines(cota: Quota): [string, string] {
  const used = new Intl.NumberFormat('pt-BR').format(cota.usados_minutos);
  return [
    `Cota ${cota.periodo}: ${used} de ${minutes(cota.alocados_minutos)} usados`,
    `${minutes(cota.restantes_minutos)} restantes`,
  ];
}

/** "Cota 2026-12: 10 de 600 min usados · 590 min restantes". */
export function quotaText(cota: Quota): string {
  return quotaLines(cota).join(' · ');
}

/** The tooltip of the quota: how the period, the default and refunds work. */
export function quotaTitle(cota: Quota): string {
  const parts = [
    `Período ${cota.periodo} (mês UTC): cada horário de 5 minutos conta no mês em que começa.`,
    cota.padrao === true
      ? 'Alocação padrão (o administrador não definiu uma alocação sua).'
      : 'Alocação definida pelo administrador.',
  ];
  if (typeof cota.aviso_reembolso_horas === 'number') {
    parts.push(
      `Cancelar com pelo menos ${cota.aviso_reembolso_horas} h de antecedência devolve os minutos; depois disso, não.`,
    );
  }
  return parts.join(' ');
}

/** Reads `cota` from a scientist view, if the server showed it (and it is well-formed). */
export function quotaOf(scientist: unknown): Quota | undefined {
  if (typeof scientist !== 'object' || scientist === null) return undefined;
  const cota = (scientist as { cota?: unknown }).cota;
  if (typeof cota !== 'object' || cota === null) return undefined;
  const c = cota as Record<string, unknown>;
  if (
    typeof c.periodo !== 'string' ||
    typeof c.alocados_minutos !== 'number' ||
    typeof c.usados_minutos !== 'number' ||
    typeof c.restantes_minutos !== 'number'
  ) {
    return undefined;
  }
  return cota as Quota;
}

/** Remaining hold time as "m:ss" (never negative). */
export function countdownText(remainingMs: number): string {
  const total = Math.max(0, Math.ceil(remainingMs / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

/** Accessible name of the countdown: "1 minuto e 5 segundos restantes". */
export function countdownLabel(remainingMs: number): string {
  const total = Math.max(0, Math.ceil(remainingMs / 1000));
  if (total === 0) return 'tempo esgotado';
  const m = Math.floor(total / 60);
  const s = total % 60;
  const parts: string[] = [];
  if (m > 0) parts.push(`${m} ${m === 1 ? 'minuto' : 'minutos'}`);
  if (s > 0) parts.push(`${s} ${s === 1 ? 'segundo' : 'segundos'}`);
  return `${parts.join(' e ')} restantes`;
}

/** An entry still offered to its owner: status `oferecida` with a `confirmar` link. */
export function isOffer(espera: Espera): boolean {
  return espera.status === 'oferecida' && espera._links.confirmar !== undefined;
}

/** Open entries: waiting or offered (the ones GET /eu/esperas lists). */
export function isOpen(espera: Pick<Espera, 'status'>): boolean {
  return espera.status === 'aguardando' || espera.status === 'oferecida';
}

/** Entries in the order to show them: offers first (soonest deadline first), then by slot. */
export function sortEsperas(esperas: Iterable<Espera>): Espera[] {
  const deadline = (e: Espera) =>
    e.status === 'oferecida' && e.oferta_expira_em_utc !== null
      ? Date.parse(e.oferta_expira_em_utc)
      : Number.POSITIVE_INFINITY;
  return [...esperas].sort(
    (a, b) =>
      deadline(a) - deadline(b) ||
      Date.parse(a.horario_inicio_utc) - Date.parse(b.horario_inicio_utc) ||
      a.id - b.id,
  );
}

/** "10:00–10:05 UTC" */
export function slotRange(item: { horario_inicio_utc: string; horario_fim_utc: string }): string {
  return `${hhmm(Date.parse(item.horario_inicio_utc))}–${hhmm(Date.parse(item.horario_fim_utc))} UTC`;
}

const STATUS_WORDS: Record<WaitStatus, string> = {
  aguardando: 'aguardando',
  oferecida: 'horário oferecido a você',
  aceita: 'aceita (agendamento feito)',
  expirada: 'oferta expirada',
  saiu: 'você saiu da fila',
};

/** "posição 1 · aguardando" */
export function esperaStatusText(espera: Pick<Espera, 'status' | 'posicao'>): string {
  const words = STATUS_WORDS[espera.status];
  return espera.posicao === null ? words : `posição ${espera.posicao} · ${words}`;
}

/** A link value that may be one link or an array of them (HAL allows both). */
function linksFrom(value: unknown): Link[] {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  return list.filter(
    (l): l is Link => typeof l === 'object' && l !== null && typeof (l as Link).href === 'string',
  );
}

/** The `entrar_na_fila` links a 409 of POST /agendamentos carries (one per contested slot). */
export function joinLinks(problem: Problem): Link[] {
  return linksFrom(problem._links?.entrar_na_fila);
}

/** The `espera` extension of a 409 `already-waiting` (an href, or a link object). */
export function existingEsperaLink(problem: Problem): Link | undefined {
  const value = problem.espera;
  if (typeof value === 'string') return { href: value };
  return linksFrom(value)[0];
}

// ---- receipts ---------------------------------------------------------------------------------------

/** The claims of a receipt as the page shows them (the signature is checked offline, not here). */
export interface ReceiptClaims {
  readonly sub?: string;
  readonly resultado?: string;
  readonly motivo?: string;
  readonly telescopio_id?: string;
  readonly horario_inicio_utc?: string;
  readonly horario_fim_utc?: string;
  readonly agendamento_id?: number;
  readonly tokens_fencing?: readonly number[];
  readonly espera_id?: number;
  readonly recebido_em_utc?: string;
  readonly audit_seq?: number;
  readonly audit_hash?: string;
  readonly jti?: string;
}

function base64UrlDecode(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  try {
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * The payload of a JWS compact receipt, decoded but NOT verified (only to describe it on the
 * page; `npm run receipt:verify` checks the Ed25519 signature against the published JWKS).
 */
export function decodeReceipt(jws: string): ReceiptClaims | undefined {
  const parts = jws.trim().split('.');
  if (parts.length !== 3) return undefined;
  const bytes = base64UrlDecode(parts[1] ?? '');
  if (bytes === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const claims: ReceiptClaims = value;
    return claims;
  } catch {
    return undefined;
  }
}

/** "recibo-Hubble-Acad-20270301T1000Z-concedido.jwt": a safe file name for the download. */
export function receiptFileName(claims: ReceiptClaims | undefined): string {
  const parts = ['recibo'];
  if (claims?.telescopio_id !== undefined) parts.push(claims.telescopio_id);
  const start = claims?.horario_inicio_utc === undefined ? NaN : Date.parse(claims.horario_inicio_utc);
  if (Number.isFinite(start)) {
    parts.push(new Date(start).toISOString().slice(0, 16).replace(/[-:]/g, '').concat('Z'));
  }
  if (claims?.resultado !== undefined) parts.push(claims.resultado);
  return `${parts.join('-').replace(/[^A-Za-z0-9._-]+/g, '_')}.jwt`;
}

const REFUSAL_WORDS: Record<string, string> = {
  'slot-taken': 'horário já reservado por outro cientista',
  'slot-held': 'horário reservado para a fila de espera',
  'stale-token': 'o pedido perdeu a vez no lock',
};

/** One line about the decision a receipt records, in pt-BR. */
export function receiptSummary(claims: ReceiptClaims | undefined): string {
  if (claims === undefined) return 'Recibo assinado pelo servidor.';
  const slot =
    claims.horario_inicio_utc !== undefined && claims.horario_fim_utc !== undefined
      ? ` ${claims.telescopio_id ?? ''} ${slotRange({
          horario_inicio_utc: claims.horario_inicio_utc,
          horario_fim_utc: claims.horario_fim_utc,
        })}`.trimEnd()
      : '';
  const outcome =
    claims.resultado === 'concedido'
      ? `Concedido${claims.agendamento_id === undefined ? '' : ` (agendamento nº ${claims.agendamento_id})`}`
      : claims.resultado === 'recusado'
        ? `Recusado${claims.motivo === undefined ? '' : ` (${REFUSAL_WORDS[claims.motivo] ?? claims.motivo})`}`
        : 'Decisão';
  const received =
    claims.recebido_em_utc === undefined
      ? ''
      : ` Pedido recebido às ${clockText(Date.parse(claims.recebido_em_utc))} UTC.`;
  const audit = claims.audit_seq === undefined ? '' : ` Registro de auditoria nº ${claims.audit_seq}.`;
  return `${outcome}:${slot}.${received}${audit}`;
}
