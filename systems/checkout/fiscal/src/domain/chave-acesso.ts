/**
 * The NF-e chave de acesso: 44 digits that identify a nota fiscal nationwide, built from its
 * parts in this fixed layout (Manual de Orientação do Contribuinte):
 *
 *   cUF 2 | AAMM 4 | CNPJ 14 | mod 2 | serie 3 | nNF 9 | tpEmis 1 | cNF 8 | cDV 1
 *
 * cDV is the modulo-11 digit of the first 43 (mod11.ts). The seed's generator fakes the key
 * with three EAN-13s (39 digits, no check digit); we build a real one so that a stored key can be
 * checked, and a mistyped one caught, by anyone.
 */
import { cnpjDigits, cnpjProblem } from './cnpj.js';
import { mod11CheckDigit } from './mod11.js';

/** IBGE codes of the 27 federative units. */
export const CODIGOS_UF = [
  11, 12, 13, 14, 15, 16, 17, 21, 22, 23, 24, 25, 26, 27, 28, 29, 31, 32, 33, 35, 41, 42, 43, 50, 51, 52, 53,
] as const;

/** NF-e (model 55). NFC-e would be 65; this system issues NF-e only. */
export const MODELO_NFE = '55';

/**
 * tpEmis: 1 normal; 2 contingência FS-IA; 3 SCAN (retired, still valid in old keys);
 * 4 EPEC; 5 FS-DA; 6 SVC-AN; 7 SVC-RS; 9 offline (NFC-e). 8 is unassigned.
 */
export const TIPOS_EMISSAO = [1, 2, 3, 4, 5, 6, 7, 9] as const;

export const MAX_NUMERO_NF = 999_999_999;
export const MAX_SERIE = 999;
export const MAX_CODIGO_NUMERICO = 99_999_999;

export interface PartesChave {
  /** IBGE code of the issuer's state, e.g. 35 for São Paulo. */
  readonly cUF: number;
  /** Year and month of issue (the caller takes them from its injected Clock), e.g. 2025, 10. */
  readonly ano: number;
  readonly mes: number;
  /** Issuer CNPJ, 14 digits (bare or formatted). */
  readonly cnpj: string;
  /** Always "55" when building; parsed keys report what they carry. */
  readonly modelo: string;
  readonly serie: number;
  readonly nNF: number;
  readonly tpEmis: number;
  /** Random code chosen by the issuer so keys cannot be guessed from the invoice number. */
  readonly cNF: number;
}

export interface ChaveError {
  readonly field: keyof PartesChave | 'chave' | 'cDV';
  readonly reason: string;
}

export type ChaveResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly ChaveError[] };

function intIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Every problem of every part, so a caller fixes them all at once. */
export function checkPartes(p: PartesChave): ChaveError[] {
  const errors: ChaveError[] = [];
  if (!(CODIGOS_UF as readonly number[]).includes(p.cUF))
    errors.push({ field: 'cUF', reason: `cUF ${p.cUF} is not an IBGE state code` });
  if (!intIn(p.ano, 2000, 2099))
    errors.push({ field: 'ano', reason: `ano must be from 2000 to 2099 (got ${p.ano})` });
  if (!intIn(p.mes, 1, 12)) errors.push({ field: 'mes', reason: `mes must be from 1 to 12 (got ${p.mes})` });
  const cnpj = cnpjProblem(p.cnpj);
  if (cnpj !== undefined) errors.push({ field: 'cnpj', reason: cnpj });
  if (p.modelo !== MODELO_NFE)
    errors.push({
      field: 'modelo',
      reason: `modelo must be "${MODELO_NFE}" (NF-e), got ${JSON.stringify(p.modelo)}`,
    });
  if (!intIn(p.serie, 0, MAX_SERIE))
    errors.push({ field: 'serie', reason: `serie must be from 0 to ${MAX_SERIE} (got ${p.serie})` });
  if (!intIn(p.nNF, 1, MAX_NUMERO_NF))
    errors.push({ field: 'nNF', reason: `nNF must be from 1 to ${MAX_NUMERO_NF} (got ${p.nNF})` });
  if (!(TIPOS_EMISSAO as readonly number[]).includes(p.tpEmis))
    errors.push({
      field: 'tpEmis',
      reason: `tpEmis must be one of ${TIPOS_EMISSAO.join(', ')} (got ${p.tpEmis})`,
    });
  if (!intIn(p.cNF, 0, MAX_CODIGO_NUMERICO))
    errors.push({ field: 'cNF', reason: `cNF must be from 0 to ${MAX_CODIGO_NUMERICO} (got ${p.cNF})` });
  return errors;
}

/** The first 43 digits, without checking the parts (callers check first). */
function body43(p: PartesChave): string {
  return (
    pad(p.cUF, 2) +
    pad(p.ano % 100, 2) +
    pad(p.mes, 2) +
    (cnpjDigits(p.cnpj) ?? '') +
    p.modelo +
    pad(p.serie, 3) +
    pad(p.nNF, 9) +
    String(p.tpEmis) +
    pad(p.cNF, 8)
  );
}

/** Builds the 44-digit key, or lists every bad part. */
export function buildChaveAcesso(partes: PartesChave): ChaveResult<string> {
  const errors = checkPartes(partes);
  if (errors.length > 0) return { ok: false, errors };
  const body = body43(partes);
  return { ok: true, value: `${body}${mod11CheckDigit(body)}` };
}

/** True when `text` is 44 digits whose last is the modulo-11 digit of the rest (parts not checked). */
export function hasValidCheckDigit(text: string): boolean {
  return /^[0-9]{44}$/.test(text) && mod11CheckDigit(text.slice(0, 43)) === Number(text.slice(43));
}

/**
 * Reads a key back into its parts. Spaces are accepted (DANFEs print the key in groups of four).
 * A wrong check digit and every implausible part are reported together.
 */
export function parseChaveAcesso(input: string): ChaveResult<PartesChave & { readonly cDV: number }> {
  const text = input.replace(/ /g, '');
  if (!/^[0-9]{44}$/.test(text))
    return { ok: false, errors: [{ field: 'chave', reason: 'a chave de acesso has exactly 44 digits' }] };
  const n = (from: number, length: number) => Number(text.slice(from, from + length));
  const partes: PartesChave = {
    cUF: n(0, 2),
    ano: 2000 + n(2, 2),
    mes: n(4, 2),
    cnpj: text.slice(6, 20),
    modelo: text.slice(20, 22),
    serie: n(22, 3),
    nNF: n(25, 9),
    tpEmis: n(34, 1),
    cNF: n(35, 8),
  };
  const cDV = n(43, 1);
  const errors: ChaveError[] = [];
  const expected = mod11CheckDigit(text.slice(0, 43));
  if (cDV !== expected) errors.push({ field: 'cDV', reason: `check digit is ${cDV}, expected ${expected}` });
  errors.push(...checkPartes(partes));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { ...partes, cDV } };
}

/** The key in the 11 groups of four digits printed on a DANFE. */
export function formatChaveAcesso(chave: string): string {
  return chave.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** A cNF (8 digits) from an injected random source. */
export function generateCodigoNumerico(random: () => number): number {
  return Math.floor(random() * (MAX_CODIGO_NUMERICO + 1));
}
