/**
 * `npm run receipt:verify -- <receipt | file | -> [--jwks <file | http(s) url>] [--audit <file>]`
 *
 * Verifies a signed decision receipt offline (docs/receipts.md): the Ed25519 signature against the
 * scheduler's published key set, the claims, and — with `--audit` — that the audit entry the
 * receipt names is in the given trail with the same hash and that the given entries chain
 * correctly. Exit code 0 = valid, 1 = invalid or tampered, 2 = bad usage or unreadable input.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createChainVerifier,
  describeBreak,
  GENESIS_HASH,
  hashRecord,
  type AuditRecord,
  type ChainBreak,
} from '@dslab/audit-log';
import type { JWK } from 'jose';
import { env, loadConfigOrExit } from '@dslab/config';
import { createReceiptSigner, ReceiptVerificationError, verifyReceipt } from '../adapters/receipts.js';
import { DEV_RECEIPT_SIGNING_KEY } from '../config.js';
import { explainReceipt, type SignedReceiptClaims } from '../domain/receipt.js';
import { parseUtcInstant } from '../domain/time.js';

const { config } = loadConfigOrExit(
  { INIT_CWD: env.string('the directory `npm run` was started from (npm sets it)').optional() },
  'receipt-verify',
);

const USAGE = `Usage: npm run receipt:verify -- <receipt | file | -> [--jwks <file | http(s) url>] [--audit <file>]

  <receipt>       the receipt itself (JWS compact), or a file holding it, or "-" for standard input.
                  A JSON document with a "recibo" member (a saved 201 booking body or 409 problem)
                  is accepted too.
  --jwks <src>    the scheduler's key set: a saved copy of GET /.well-known/jwks.json or its URL.
                  Without it, the built-in DEVELOPMENT key is used (proves nothing for a real server).
  --audit <file>  audit entries as JSON (an array, or the body of GET /auditoria with "entradas"),
                  or app.log lines: checks the receipt's audit entry and the chain of the entries.

Exit code: 0 valid, 1 invalid or tampered, 2 bad usage or unreadable input.`;

const JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Bad usage or unreadable input: exit 2 with a message, never a stack trace. */
class InputError extends Error {}

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function err(line: string): void {
  process.stderr.write(`${line}\n`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `npm run` starts scripts in the repository root; relative paths are the user's, so they are
 * resolved against the directory npm was started from (INIT_CWD).
 */
function userPath(path: string): string {
  return resolve(config.INIT_CWD ?? process.cwd(), path);
}

function readText(path: string, what: string): string {
  try {
    return path === '-' ? readFileSync(0, 'utf8') : readFileSync(userPath(path), 'utf8');
  } catch (error) {
    throw new InputError(
      `Cannot read ${what} ${path === '-' ? 'from standard input' : path}: ${(error as Error).message}`,
    );
  }
}

function isFile(path: string): boolean {
  try {
    const full = userPath(path);
    return existsSync(full) && statSync(full).isFile();
  } catch {
    return false;
  }
}

/** The JWS in a text: the bare receipt, a JSON string, or a JSON object with a `recibo` member. */
function receiptFromText(text: string, source: string): string {
  const trimmed = text.trim();
  if (JWS_SHAPE.test(trimmed)) return trimmed;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new InputError(
      `${source} is neither a receipt (three base64url parts separated by dots) nor JSON holding one`,
    );
  }
  if (typeof parsed === 'string' && JWS_SHAPE.test(parsed.trim())) return parsed.trim();
  if (isRecord(parsed) && typeof parsed.recibo === 'string') return parsed.recibo.trim();
  throw new InputError(
    `${source} is JSON without a "recibo" member (a 201 booking body or a 409 problem document carries one)`,
  );
}

function readReceipt(argument: string): string {
  if (argument === '-') return receiptFromText(readText('-', 'the receipt'), 'standard input');
  if (isFile(argument)) return receiptFromText(readText(argument, 'the receipt'), `file ${argument}`);
  if (JWS_SHAPE.test(argument.trim())) return argument.trim();
  if (/^\s*[[{"]/.test(argument)) return receiptFromText(argument, 'the argument');
  throw new InputError(`${argument} is not a receipt and not a readable file`);
}

function parseJwks(text: string, source: string): { keys: JWK[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InputError(`The key set from ${source} is not JSON`);
  }
  // A single JWK is accepted as a key set of one.
  const keys =
    isRecord(parsed) && Array.isArray(parsed.keys)
      ? parsed.keys
      : isRecord(parsed) && 'kty' in parsed
        ? [parsed]
        : undefined;
  if (keys === undefined || !keys.every(isRecord)) {
    throw new InputError(`The key set from ${source} is not a JWKS (expected {"keys": [ … ]})`);
  }
  return { keys };
}

async function loadJwks(source: string): Promise<{ keys: JWK[] }> {
  if (/^https?:\/\//i.test(source)) {
    let response: Response;
    try {
      response = await fetch(source, {
        signal: AbortSignal.timeout(30_000),
        headers: { accept: 'application/json' },
      });
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      throw new InputError(`Cannot fetch the key set from ${source}: ${cause ?? (error as Error).message}`);
    }
    if (!response.ok)
      throw new InputError(`Fetching the key set from ${source} answered HTTP ${response.status}`);
    return parseJwks(await response.text(), source);
  }
  return parseJwks(readText(source, 'the key set'), source);
}

function isAuditRecord(value: unknown): value is AuditRecord {
  return (
    isRecord(value) &&
    Number.isSafeInteger(value.seq) &&
    typeof value.hash === 'string' &&
    typeof value.prev_hash === 'string' &&
    typeof value.event_type === 'string' &&
    isRecord(value.details)
  );
}

/** One app.log line as an audit record: the seed format `AUDIT:<ts>:<service>:{…}` or a pino JSON line. */
function recordFromLogLine(line: string): unknown {
  const text = line.trim();
  if (text === '') return undefined;
  if (text.startsWith('AUDIT:')) {
    const start = text.indexOf('{');
    const end = text.lastIndexOf('}');
    if (start < 0 || end < start) return undefined;
    try {
      return JSON.parse(text.slice(start, end + 1));
    } catch {
      return undefined;
    }
  }
  if (!text.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed) && isRecord(parsed.audit)) return parsed.audit;
    return isAuditRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function loadAudit(path: string): AuditRecord[] {
  const text = readText(path, 'the audit entries');
  let candidates: unknown[];
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) candidates = parsed;
    else if (isRecord(parsed) && Array.isArray(parsed.entradas)) candidates = parsed.entradas;
    else if (isAuditRecord(parsed)) candidates = [parsed];
    else
      throw new InputError(
        `${path}: expected an array of audit entries or a GET /auditoria body ("entradas")`,
      );
  } catch (error) {
    if (error instanceof InputError) throw error;
    // Not one JSON document: read it as log lines (app.log), keeping only the audit records.
    candidates = text
      .split('\n')
      .map(recordFromLogLine)
      .filter((r) => r !== undefined);
  }
  const bad = candidates.findIndex((c) => !isAuditRecord(c));
  if (bad >= 0) {
    throw new InputError(
      `${path}: entry ${bad + 1} is not an audit record (needs seq, hash, prev_hash, event_type, details)`,
    );
  }
  if (candidates.length === 0) throw new InputError(`${path} holds no audit entries`);
  const records = [...(candidates as AuditRecord[])].sort((a, b) => a.seq - b.seq);
  // The same entry twice (e.g. overlapping exports) counts once when identical.
  return records.filter(
    (r, i) => i === 0 || r.seq !== records[i - 1]?.seq || r.hash !== records[i - 1]?.hash,
  );
}

/**
 * Checks the chain of a contiguous run of entries. From seq 1 this is the full verifier; a run
 * that starts later cannot check its first entry's link to the unseen one before it, but every
 * entry's own hash and every link inside the run are checked.
 */
function checkChain(records: AuditRecord[]): ChainBreak | undefined {
  const first = records[0];
  if (first === undefined) return undefined;
  if (first.seq === 1) {
    const verifier = createChainVerifier();
    for (const record of records) verifier.push(record);
    const result = verifier.result();
    return result.ok ? undefined : result.firstBroken;
  }
  let previous: AuditRecord | undefined;
  for (const record of records) {
    if (previous !== undefined) {
      if (record.seq !== previous.seq + 1)
        return { seq: record.seq, reason: 'seq-gap', expected: previous.seq + 1 };
      if (record.prev_hash !== previous.hash) {
        return {
          seq: record.seq,
          reason: 'prev-hash-mismatch',
          expected: previous.hash,
          found: record.prev_hash,
        };
      }
    }
    const recomputed = hashRecord(record);
    if (recomputed !== record.hash) {
      return { seq: record.seq, reason: 'hash-mismatch', expected: recomputed, found: record.hash };
    }
    previous = record;
  }
  return undefined;
}

function sameInstant(a: unknown, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = parseUtcInstant(a);
  return x !== undefined && x === parseUtcInstant(b);
}

/** Problems with the audit entry the receipt names; an empty list means it matches. */
function checkAuditEntry(claims: SignedReceiptClaims, records: AuditRecord[]): string[] {
  const entry = records.find((r) => r.seq === claims.audit_seq);
  const firstSeq = records[0]?.seq ?? 0;
  const lastSeq = records.at(-1)?.seq ?? 0;
  if (entry === undefined) {
    return claims.audit_seq >= firstSeq && claims.audit_seq <= lastSeq
      ? [
          `audit entry seq ${claims.audit_seq} is missing from the given entries although they cover seq ${firstSeq}–${lastSeq}`,
        ]
      : [
          `audit entry seq ${claims.audit_seq} is not among the given entries (seq ${firstSeq}–${lastSeq}); export a range that includes it`,
        ];
  }
  const problems: string[] = [];
  if (entry.hash !== claims.audit_hash) {
    problems.push(
      `audit entry seq ${entry.seq} has hash ${entry.hash}, but the receipt says ${claims.audit_hash}`,
    );
  }
  const expectedType = claims.resultado === 'concedido' ? 'AGENDAMENTO_CRIADO' : 'AGENDAMENTO_RECUSADO';
  if (entry.event_type !== expectedType) {
    problems.push(
      `audit entry seq ${entry.seq} is ${entry.event_type}, but a ${claims.resultado} receipt ties to ${expectedType}`,
    );
  }
  const d = entry.details;
  const differs = (field: string, receiptValue: string, same: boolean): void => {
    if (field in d && !same) {
      problems.push(
        `audit entry seq ${entry.seq} records ${field} ${JSON.stringify(d[field])}, the receipt ${receiptValue}`,
      );
    }
  };
  differs('cientista_id', `sub ${claims.sub}`, String(d.cientista_id) === claims.sub);
  differs('telescopio_id', JSON.stringify(claims.telescopio_id), d.telescopio_id === claims.telescopio_id);
  differs(
    'horario_inicio_utc',
    claims.horario_inicio_utc,
    sameInstant(d.horario_inicio_utc, claims.horario_inicio_utc),
  );
  differs('horario_fim_utc', claims.horario_fim_utc, sameInstant(d.horario_fim_utc, claims.horario_fim_utc));
  differs('recebido_em_utc', claims.recebido_em_utc, sameInstant(d.recebido_em_utc, claims.recebido_em_utc));
  if (claims.agendamento_id !== undefined) {
    differs('agendamento_id', String(claims.agendamento_id), d.agendamento_id === claims.agendamento_id);
  }
  if (claims.motivo !== undefined) differs('motivo', claims.motivo, d.motivo === claims.motivo);
  return problems;
}

interface Options {
  receipt: string;
  jwks: string | undefined;
  audit: string | undefined;
}

const ARG_OPTIONS = {
  jwks: { type: 'string' },
  audit: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseCommandLine(argv: string[]): Options | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: ARG_OPTIONS, allowPositionals: true });
  } catch (error) {
    throw new InputError((error as Error).message);
  }
  if (parsed.values.help === true) return 'help';
  const [receipt, ...extra] = parsed.positionals;
  if (receipt === undefined) throw new InputError('Missing the receipt (or a file holding it)');
  if (extra.length > 0) throw new InputError(`Unexpected extra arguments: ${extra.join(' ')}`);
  return { receipt, jwks: parsed.values.jwks, audit: parsed.values.audit };
}

async function main(argv: string[]): Promise<number> {
  const options = parseCommandLine(argv);
  if (options === 'help') {
    out(USAGE);
    return 0;
  }
  // Read every input first: an unreadable one is a usage problem (2), not an invalid receipt (1).
  const receipt = readReceipt(options.receipt);
  const devJwks = (await createReceiptSigner({ privateKeyPem: DEV_RECEIPT_SIGNING_KEY, now: Date.now })).jwks;
  const devKid = devJwks.keys[0]?.kid;
  const jwks = options.jwks === undefined ? devJwks : await loadJwks(options.jwks);
  const audit = options.audit === undefined ? undefined : loadAudit(options.audit);

  if (options.jwks === undefined) {
    err('WARNING: no --jwks given, so the receipt is checked against the built-in DEVELOPMENT key.');
    err('         That private key is published in the source code: anyone can sign with it. A valid');
    err('         result proves something only about a development server. For a real server, pass');
    err('         --jwks https://<server>/.well-known/jwks.json (or a saved copy of it).');
  }

  let verified: { claims: SignedReceiptClaims; kid: string };
  try {
    verified = await verifyReceipt(receipt, jwks);
  } catch (error) {
    if (!(error instanceof ReceiptVerificationError)) throw error;
    out(`receipt NOT valid: ${error.message}`);
    return 1;
  }
  const { claims, kid } = verified;
  for (const line of explainReceipt(claims)) out(line);
  out();
  out(
    `signature valid (key kid ${kid}${options.jwks === undefined ? ', the development key' : `, from ${options.jwks}`})`,
  );
  if (options.jwks !== undefined && kid === devKid) {
    err(
      'WARNING: this receipt is signed with the public DEVELOPMENT key: it proves nothing about a real server.',
    );
  }

  if (audit === undefined) {
    out('audit: not checked (pass --audit <file> with the entries from GET /auditoria or an exported trail)');
    out('result: the receipt is valid');
    return 0;
  }
  const firstSeq = audit[0]?.seq ?? 0;
  const lastSeq = audit.at(-1)?.seq ?? 0;
  const chainBreak = checkChain(audit);
  const entryProblems = checkAuditEntry(claims, audit);
  if (chainBreak === undefined) {
    const anchored = firstSeq === 1 ? ` from the genesis hash ${GENESIS_HASH.slice(0, 8)}…` : '';
    out(`audit chain intact: ${audit.length} entries, seq ${firstSeq}–${lastSeq}${anchored}`);
  } else {
    out(`audit chain BROKEN: ${describeBreak(chainBreak)}`);
  }
  if (entryProblems.length === 0) {
    out(`audit entry seq ${claims.audit_seq} matches the receipt (hash ${claims.audit_hash})`);
  } else {
    for (const problem of entryProblems) out(`audit mismatch: ${problem}`);
  }
  if (chainBreak !== undefined || entryProblems.length > 0) {
    out('result: the receipt does NOT match the given audit trail');
    return 1;
  }
  out('result: the receipt is valid and tied to the audit trail');
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof InputError) {
    err(error.message);
    err('');
    err(USAGE);
  } else {
    err(`receipt:verify failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exitCode = 2;
}
