/**
 * CNPJ (the issuer's tax id, 14 digits: 8 root, 4 branch, 2 check digits). Both check digits are
 * the modulo-11 digit of what precedes them (mod11.ts): the first over 12 digits, the second
 * over 13. Numbers made of one repeated digit pass the arithmetic but are not issued by the
 * Receita Federal, so they are refused.
 *
 * Only the numeric CNPJ is handled. The alphanumeric CNPJ (IN RFB 2.229/2024, issued from July
 * 2026) would need its own check-digit rule (character value = ASCII − 48) and a new chave de
 * acesso layout; it is out of scope here.
 */
import { mod11CheckDigit } from './mod11.js';

/** The two check digits of a 12-digit CNPJ base. */
export function cnpjCheckDigits(base12: string): string {
  if (!/^[0-9]{12}$/.test(base12))
    throw new RangeError(`CNPJ base must be 12 digits, got ${JSON.stringify(base12)}`);
  const first = mod11CheckDigit(base12);
  const second = mod11CheckDigit(`${base12}${first}`);
  return `${first}${second}`;
}

const FORMATTED = /^([0-9]{2})\.([0-9]{3})\.([0-9]{3})\/([0-9]{4})-([0-9]{2})$/;

/** The 14 digits of a CNPJ written bare or as `00.000.000/0000-00`; undefined for anything else. */
export function cnpjDigits(text: string): string | undefined {
  if (/^[0-9]{14}$/.test(text)) return text;
  const m = FORMATTED.exec(text);
  return m === null ? undefined : m.slice(1).join('');
}

/** Why a CNPJ is not valid, or undefined when it is. */
export function cnpjProblem(text: string): string | undefined {
  const digits = cnpjDigits(text);
  if (digits === undefined) return 'CNPJ must be 14 digits, bare or as 00.000.000/0000-00';
  if (/^(.)\1{13}$/.test(digits)) return 'CNPJ must not be one repeated digit';
  if (digits.slice(12) !== cnpjCheckDigits(digits.slice(0, 12)))
    return `CNPJ check digits should be ${cnpjCheckDigits(digits.slice(0, 12))}`;
  return undefined;
}

export function isValidCnpj(text: string): boolean {
  return cnpjProblem(text) === undefined;
}

export function formatCnpj(digits14: string): string {
  const d = cnpjDigits(digits14);
  if (d === undefined) throw new RangeError(`not a CNPJ: ${JSON.stringify(digits14)}`);
  return `${d.slice(0, 2)}.${d.slice(2, 5)}.${d.slice(5, 8)}/${d.slice(8, 12)}-${d.slice(12)}`;
}

/**
 * A valid CNPJ from an injected random source: 8 random root digits (not all equal), branch
 * 0001 (the head office), then the check digits. For test data and the simulator's issuer.
 */
export function generateCnpj(random: () => number): string {
  for (;;) {
    let root = '';
    for (let i = 0; i < 8; i++) root += String(Math.floor(random() * 10));
    if (/^(.)\1{7}$/.test(root)) continue;
    const base = `${root}0001`;
    return `${base}${cnpjCheckDigits(base)}`;
  }
}
