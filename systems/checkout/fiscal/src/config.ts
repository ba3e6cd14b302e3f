import { checkoutServiceSettings } from '@dslab/checkout-kit';
import { env, type Field } from '@dslab/config';
import { MAX_SEED } from '@dslab/random';
import { CODIGOS_UF, MAX_SERIE } from './domain/chave-acesso.js';
import { cnpjDigits, cnpjProblem, formatCnpj } from './domain/cnpj.js';

/**
 * A well-known valid test CNPJ (11.444.777/0001-61), used when FISCAL_CNPJ is unset. It is
 * announced at start-up as a development default: a real issuer sets its own.
 */
export const DEVELOPMENT_CNPJ = '11444777000161';

/** FISCAL_CNPJ: 14 digits, bare or formatted, with valid check digits; parsed to the bare digits. */
function cnpjSetting(description: string): Field<string> {
  return {
    description,
    fallback: { value: DEVELOPMENT_CNPJ, devOnly: true },
    parse(raw) {
      const problem = cnpjProblem(raw.trim());
      const digits = cnpjDigits(raw.trim());
      return problem === undefined && digits !== undefined
        ? { ok: true, value: digits }
        : { ok: false, message: problem ?? 'not a CNPJ' };
    },
  };
}

/** FISCAL_UF: an IBGE state code. */
function ufSetting(description: string): Field<number> {
  const int = env.int(description, { min: 11, max: 53 });
  return {
    description,
    fallback: { value: 35, devOnly: false },
    parse(raw) {
      const parsed = int.parse(raw);
      if (!parsed.ok) return parsed;
      return (CODIGOS_UF as readonly number[]).includes(parsed.value)
        ? parsed
        : {
            ok: false,
            message: `must be an IBGE state code (${CODIGOS_UF.join(', ')}), got ${parsed.value}`,
          };
    },
  };
}

/** Every setting of fiscal; parsed once in main.ts (the only reader of process.env). */
export const fiscalConfigSchema = {
  ...checkoutServiceSettings('fiscal'),
  FISCAL_UF: ufSetting("IBGE code of the issuer's state, the chave de acesso's cUF (35 = São Paulo)"),
  FISCAL_CNPJ: cnpjSetting(
    `the issuer's CNPJ inside every chave de acesso, bare or 00.000.000/0000-00 (development default ${formatCnpj(DEVELOPMENT_CNPJ)})`,
  ),
  FISCAL_SERIE: env.int('série new invoices are numbered on', { min: 0, max: MAX_SERIE }).default(1),
  FISCAL_SEED: env
    .int('seed of the random cNF codes inside the keys (reproducible runs); unset draws from the OS', {
      min: 0,
      max: MAX_SEED,
    })
    .optional(),
};
