/** Command-line options of `npm run datagen` (parsing only, no I/O). */
import { parseArgs } from 'node:util';
import { DEFAULT_SIZES, MAX_SIZE, validateSizes, type Sizes } from './generate.js';
import { MAX_SEED } from './faker.js';

/**
 * The default reference time. Fixed (not the wall clock) so that the same --seed gives a
 * byte-identical database on any day; pass `--now now` for dates relative to the current time.
 */
export const DEFAULT_NOW = '2025-11-01T00:00:00.000Z';
export const DEFAULT_SEED = 42;
export const DEFAULT_OUT = './data/ecommerce.db';

export interface Options {
  help: boolean;
  seed: number;
  out: string;
  sizes: Sizes;
  /** Reference time in epoch milliseconds, or 'wall-clock' for `--now now`. */
  now: number | 'wall-clock';
}

export const HELP = `npm run datagen -- [options]

Writes the seed's ecommerce.db (clientes, produtos, pedidos, itens_pedido, pagamentos,
notas_fiscais, envios) with pt_BR fake data.

  --seed N       faker seed, 0–${MAX_SEED} (${DEFAULT_SEED}); same seed and --now → same file
  --out PATH     database file, replaced if it exists (${DEFAULT_OUT})
  --clientes N   number of clients (${DEFAULT_SIZES.clientes})
  --produtos N   number of products (${DEFAULT_SIZES.produtos})
  --pedidos N    number of orders (${DEFAULT_SIZES.pedidos}); needs at least one client and product
  --now ISO      reference time the date windows (-90d … now) end at (${DEFAULT_NOW});
                 a date (2025-11-01) or date-time with Z or an offset, or "now" for the clock
  --help

Sizes are integers from 0 to ${MAX_SIZE.toLocaleString('en-US')}.`;

/** A bad command line: the CLI prints the message and exits with status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Parses an ISO-8601 date or zoned date-time strictly (no rolling 2025-02-30 over to March). */
export function parseIsoTime(text: string): number {
  const match = ISO.exec(text);
  if (match === null) {
    throw new UsageError(
      `--now must be an ISO date (2025-11-01) or date-time with a zone (2025-11-01T12:00:00Z), got "${text}"`,
    );
  }
  const [, year, month, day, hour = '00', minute = '00', second = '00'] = match;
  const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const valid =
    Number.isFinite(ms) &&
    calendar.getUTCFullYear() === Number(year) &&
    calendar.getUTCMonth() === Number(month) - 1 &&
    calendar.getUTCDate() === Number(day) &&
    Number(hour) < 24 &&
    Number(minute) < 60 &&
    Number(second) < 60;
  if (!valid) throw new UsageError(`--now is not a real date and time: "${text}"`);
  if (Number(year) < 1971) throw new UsageError(`--now must be in 1971 or later, got "${text}"`);
  return ms;
}

function integer(name: string, text: string, max: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a non-negative integer, got "${text}"`);
  const value = Number(text);
  if (value > max) {
    throw new UsageError(`--${name} must be at most ${max.toLocaleString('en-US')}, got ${text}`);
  }
  return value;
}

/** Parses argv (without node and the script). Throws UsageError on any bad option. */
export function parseOptions(argv: readonly string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', default: false },
        seed: { type: 'string', default: String(DEFAULT_SEED) },
        out: { type: 'string', default: DEFAULT_OUT },
        clientes: { type: 'string', default: String(DEFAULT_SIZES.clientes) },
        produtos: { type: 'string', default: String(DEFAULT_SIZES.produtos) },
        pedidos: { type: 'string', default: String(DEFAULT_SIZES.pedidos) },
        now: { type: 'string', default: DEFAULT_NOW },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const sizes: Sizes = {
    clientes: integer('clientes', values.clientes, MAX_SIZE),
    produtos: integer('produtos', values.produtos, MAX_SIZE),
    pedidos: integer('pedidos', values.pedidos, MAX_SIZE),
  };
  for (const needed of ['clientes', 'produtos'] as const) {
    if (sizes.pedidos > 0 && sizes[needed] === 0) {
      throw new UsageError(`--pedidos ${sizes.pedidos} needs at least one of --${needed} (got 0)`);
    }
  }
  validateSizes(sizes); // the generator's own guard; cannot fail after the checks above
  if (values.out.trim() === '') throw new UsageError('--out needs a file path');
  return {
    help: values.help,
    seed: integer('seed', values.seed, MAX_SEED),
    out: values.out,
    sizes,
    now: values.now === 'now' ? 'wall-clock' : parseIsoTime(values.now),
  };
}
