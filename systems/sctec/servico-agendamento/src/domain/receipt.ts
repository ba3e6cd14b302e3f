/**
 * Signed decision receipts: what the scheduler states about one booking decision (won or lost).
 * Pure: the claim set, checking an untrusted payload against it, and the human explanation the
 * `receipt:verify` CLI prints. Signing and verifying live in `adapters/receipts.ts`.
 */
import { formatUtc, MS_PER_SECOND, parseUtcInstant } from './time.js';

/** JWS `typ` header of every receipt. */
export const RECEIPT_TYPE = 'sctec-recibo+jwt';
/** JWS `alg` of every receipt (Ed25519). */
export const RECEIPT_ALG = 'EdDSA';
/** `iss` claim of every receipt. */
export const RECEIPT_ISSUER = 'servico-agendamento';

export const RECEIPT_OUTCOMES = ['concedido', 'recusado'] as const;
export type ReceiptOutcome = (typeof RECEIPT_OUTCOMES)[number];

/** Problem codes of the 409 answers that carry a receipt. */
export const RECEIPT_REFUSALS = ['slot-taken', 'slot-held', 'stale-token', 'hold-expired'] as const;
export type ReceiptRefusal = (typeof RECEIPT_REFUSALS)[number];

/**
 * What the booking flow states about one decision; the signer adds `iss`, `iat` and `jti`.
 * `audit_seq`/`audit_hash` are those of the AGENDAMENTO_CRIADO (won) or AGENDAMENTO_RECUSADO
 * (lost) entry written in the decision's transaction.
 */
export interface ReceiptClaims {
  /** The scientist's id, as a string (JWT convention). */
  sub: string;
  resultado: ReceiptOutcome;
  /** Only when `resultado` is `recusado`. */
  motivo?: ReceiptRefusal;
  telescopio_id: string;
  horario_inicio_utc: string;
  horario_fim_utc: string;
  /** Lock resource names of the slots asked for, e.g. `Hubble-Acad_2025-12-01T03:00:00Z`. */
  recursos: string[];
  /** Only when won. */
  agendamento_id?: number;
  /** Coordinator fencing tokens, one per slot in `recursos` order; only when won. */
  tokens_fencing?: number[];
  /** The waitlist entry whose hold was confirmed, when the booking came from one. */
  espera_id?: number;
  /** Known active bookings that hold the slots; only when lost. */
  agendamentos_conflitantes?: number[];
  /** Server time the request arrived (the source of truth). */
  recebido_em_utc: string;
  /** The client's synced click time (evidence only), or null when the client sent none. */
  horario_clique_utc: string | null;
  /** ± bound of the click time in milliseconds, or null. */
  incerteza_ms: number | null;
  audit_seq: number;
  audit_hash: string;
}

/** A receipt's full payload as signed: the decision plus the signer's claims. */
export interface SignedReceiptClaims extends ReceiptClaims {
  iss: string;
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Unique receipt id (UUID). */
  jti: string;
}

export type ReceiptClaimsCheck =
  { ok: true; claims: SignedReceiptClaims } | { ok: false; problems: string[] };

type Payload = Record<string, unknown>;

function isIntegerArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((n) => Number.isSafeInteger(n));
}

/**
 * Checks an untrusted (already signature-checked) payload against the receipt claim set and
 * names every missing or malformed claim. Unknown extra claims are kept, not refused, so a
 * newer server's receipts still verify with an older CLI.
 */
export function checkReceiptClaims(payload: unknown): ReceiptClaimsCheck {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, problems: ['payload is not a JSON object'] };
  }
  const p = payload as Payload;
  const problems: string[] = [];
  const need = (name: string, ok: (v: unknown) => boolean, what: string): void => {
    if (!(name in p)) problems.push(`missing claim ${name}`);
    else if (!ok(p[name])) problems.push(`claim ${name} is not ${what}`);
  };
  const optional = (name: string, ok: (v: unknown) => boolean, what: string): void => {
    if (name in p && !ok(p[name])) problems.push(`claim ${name} is not ${what}`);
  };
  const isString = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
  const isInstant = (v: unknown): boolean => typeof v === 'string' && parseUtcInstant(v) !== undefined;
  const isPositiveInt = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) > 0;

  need('iss', (v) => v === RECEIPT_ISSUER, `"${RECEIPT_ISSUER}"`);
  need('iat', (v) => Number.isSafeInteger(v) && (v as number) >= 0, 'a whole number of seconds');
  need('jti', isString, 'a non-empty string');
  need('sub', isString, 'a non-empty string');
  need(
    'resultado',
    (v) => (RECEIPT_OUTCOMES as readonly unknown[]).includes(v),
    RECEIPT_OUTCOMES.join(' or '),
  );
  optional(
    'motivo',
    (v) => (RECEIPT_REFUSALS as readonly unknown[]).includes(v),
    RECEIPT_REFUSALS.join(', '),
  );
  need('telescopio_id', isString, 'a non-empty string');
  need('horario_inicio_utc', isInstant, 'a UTC instant');
  need('horario_fim_utc', isInstant, 'a UTC instant');
  need('recursos', (v) => Array.isArray(v) && v.every((r) => typeof r === 'string'), 'an array of strings');
  optional('agendamento_id', isPositiveInt, 'a positive integer');
  optional('tokens_fencing', isIntegerArray, 'an array of integers');
  optional('espera_id', isPositiveInt, 'a positive integer');
  optional('agendamentos_conflitantes', isIntegerArray, 'an array of integers');
  need('recebido_em_utc', isInstant, 'a UTC instant');
  need('horario_clique_utc', (v) => v === null || isInstant(v), 'a UTC instant or null');
  need('incerteza_ms', (v) => v === null || (typeof v === 'number' && v >= 0), 'a number ≥ 0 or null');
  need('audit_seq', isPositiveInt, 'a positive integer');
  need('audit_hash', (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v), 'a 64-digit hex SHA-256');
  if (p.resultado === 'concedido' && 'motivo' in p) problems.push('a won receipt carries no motivo');
  if (p.resultado === 'recusado' && !('motivo' in p)) problems.push('missing claim motivo (lost receipt)');
  if (p.resultado === 'concedido' && !('agendamento_id' in p))
    problems.push('missing claim agendamento_id (won receipt)');

  return problems.length === 0
    ? { ok: true, claims: payload as SignedReceiptClaims }
    : { ok: false, problems };
}

const REFUSAL_TEXT: Record<ReceiptRefusal, string> = {
  'slot-taken': 'another booking already held the slot',
  'slot-held': 'the slot was held for a waitlisted scientist',
  'stale-token': "the request's lock was no longer the newest (stale fencing token)",
  'hold-expired': 'the confirmed waitlist hold had already expired, been left or been used',
};

function list(values: readonly number[]): string {
  return values.length === 0 ? '(none)' : values.join(', ');
}

function arrival(receivedMs: number, clickMs: number): string {
  const gap = receivedMs - clickMs;
  if (gap > 0) return `the server received the request ${gap} ms after the stated click`;
  if (gap < 0)
    return `the server received the request ${-gap} ms BEFORE the stated click, so that claim is off`;
  return 'the server received the request at the stated click';
}

/**
 * Plain-English lines a person reads: outcome, slot, the server's receipt time (which decides),
 * the client's click time ± bound (evidence), fencing tokens and the audit entry the receipt
 * ties to. Accepts the decision claims alone or the full signed payload.
 */
export function explainReceipt(
  claims: ReceiptClaims & Partial<Pick<SignedReceiptClaims, 'iss' | 'iat' | 'jti'>>,
): string[] {
  const lines: string[] = [];
  if (claims.resultado === 'concedido') {
    lines.push(
      `Outcome: GRANTED — booking ${claims.agendamento_id ?? '(id missing)'} to scientist ${claims.sub}` +
        (claims.espera_id === undefined ? '' : ` (confirmed from waitlist entry ${claims.espera_id})`),
    );
  } else {
    const why =
      claims.motivo === undefined ? 'no reason given' : `${claims.motivo}: ${REFUSAL_TEXT[claims.motivo]}`;
    lines.push(`Outcome: REFUSED for scientist ${claims.sub} — ${why}`);
  }
  lines.push(`Slot: ${claims.telescopio_id} ${claims.horario_inicio_utc} → ${claims.horario_fim_utc}`);
  lines.push(`Lock resources: ${claims.recursos.length === 0 ? '(none)' : claims.recursos.join(', ')}`);
  lines.push(`Server receipt time: ${claims.recebido_em_utc} (the server's clock decides)`);
  if (claims.horario_clique_utc === null) {
    lines.push('Click time: not sent by the client');
  } else {
    const bound = claims.incerteza_ms === null ? 'bound unknown' : `± ${claims.incerteza_ms} ms`;
    const click = parseUtcInstant(claims.horario_clique_utc);
    const received = parseUtcInstant(claims.recebido_em_utc);
    const gap = click === undefined || received === undefined ? '' : `; ${arrival(received, click)}`;
    lines.push(
      `Click time: ${claims.horario_clique_utc} ${bound} (client's synced clock, evidence only${gap})`,
    );
  }
  if (claims.tokens_fencing !== undefined) lines.push(`Fencing tokens: ${list(claims.tokens_fencing)}`);
  if (claims.agendamentos_conflitantes !== undefined)
    lines.push(`Conflicting bookings: ${list(claims.agendamentos_conflitantes)}`);
  lines.push(`Audit entry: seq ${claims.audit_seq}, hash ${claims.audit_hash}`);
  if (claims.iat !== undefined) {
    let issued: string;
    try {
      issued = formatUtc(claims.iat * MS_PER_SECOND);
    } catch {
      issued = `${claims.iat} (out of range)`;
    }
    lines.push(
      `Issued: ${issued} by ${claims.iss ?? '(unknown issuer)'}, receipt id ${claims.jti ?? '(none)'}`,
    );
  }
  return lines;
}
