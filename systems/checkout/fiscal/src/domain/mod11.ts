/**
 * The modulo-11 check digit used by the NF-e chave de acesso and by CNPJ: weights 2..9 from the
 * rightmost digit leftwards, cycling back to 2 after 9; remainder = Σ digit × weight mod 11;
 * the digit is 0 when the remainder is 0 or 1, otherwise 11 − remainder.
 *
 * Folding remainders 0 and 1 into one digit has a consequence worth knowing: a single altered
 * digit is always detected when the check digit is not 0, but when it is 0 an alteration that
 * moves the remainder from 0 to 1 (or back) goes unnoticed. The property tests pin this down.
 */

/** Weight of the digit `positionFromRight` places from the right (0 = rightmost). */
export function mod11Weight(positionFromRight: number): number {
  return 2 + (positionFromRight % 8);
}

/** Σ digit × weight mod 11 over a string of ASCII digits. */
export function mod11Remainder(digits: string): number {
  if (!/^[0-9]+$/.test(digits))
    throw new RangeError(`mod11: expected digits only, got ${JSON.stringify(digits)}`);
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    sum += (digits.charCodeAt(digits.length - 1 - i) - 48) * mod11Weight(i);
  }
  return sum % 11;
}

/** The check digit (0–9) of a string of ASCII digits. */
export function mod11CheckDigit(digits: string): number {
  const r = mod11Remainder(digits);
  return r < 2 ? 0 : 11 - r;
}
