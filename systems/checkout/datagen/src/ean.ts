/**
 * EAN-13 check digits (GS1 mod-10). Faker v10 has no EAN generator, so the invoice access keys
 * (`chave_acesso`, three EAN-13 codes in the seed) are built from 12 random digits plus this digit.
 */

/**
 * The check digit of the first 12 digits of an EAN-13: weights 1, 3, 1, 3, … from the left,
 * check = (10 − sum mod 10) mod 10. Throws on anything but exactly 12 ASCII digits.
 */
export function ean13CheckDigit(first12: string): number {
  if (!/^\d{12}$/.test(first12)) throw new RangeError(`EAN-13 needs 12 digits before the check digit`);
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10;
}

/** True when `code` is 13 digits whose last digit is the EAN-13 check digit of the first 12. */
export function isValidEan13(code: string): boolean {
  return /^\d{13}$/.test(code) && ean13CheckDigit(code.slice(0, 12)) === Number(code[12]);
}
