/**
 * Command-line options of a benchmark (pure parsing, no I/O): a table maps each flag to what it
 * sets, the options every benchmark shares come ready-made, and a bad value throws an Error
 * that names the flag.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type BenchLogLevel = (typeof LOG_LEVELS)[number];

/** The options every benchmark has (each picks its own defaults). */
export interface BaseBenchOptions {
  /** A short smoke run. */
  quick: boolean;
  /** LOG_LEVEL of the services under test. */
  logLevel: BenchLogLevel;
  /** Where results and charts are written (relative to the repository root, or absolute). */
  outDir: string;
}

/** The options of a benchmark whose runs last a given time (each picks its own defaults, and shorter ones for --quick). */
export interface CommonBenchOptions extends BaseBenchOptions {
  /** Seconds per measured run. */
  durationS: number;
  /** Unmeasured seconds of load on each target before its first measured run. */
  warmupS: number;
}

export function positiveNumber(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new Error(`${flag} needs a positive number (got ${String(text)})`);
  return value;
}

export function positiveInteger(flag: string, text: string | undefined): number {
  const value = positiveNumber(flag, text);
  if (!Number.isInteger(value)) throw new Error(`${flag} needs a whole number (got ${String(text)})`);
  return value;
}

/** "1,10,50" → [1, 10, 50]. */
export function positiveIntegerList(flag: string, text: string | undefined): number[] {
  return (text ?? '').split(',').map((part) => positiveInteger(flag, part.trim()));
}

/** A number from 0 to 1 (0 allowed, unlike positiveNumber). */
export function fraction(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1)
    throw new Error(`${flag} needs a number from 0 to 1 (got ${String(text)})`);
  return value;
}

/** A whole number ≥ 0. */
export function nonNegativeInteger(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isSafeInteger(value) || value < 0)
    throw new Error(`${flag} needs a whole number ≥ 0 (got ${String(text)})`);
  return value;
}

/** A number ≥ 0. */
export function nonNegativeNumber(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw new Error(`${flag} needs a number ≥ 0 (got ${String(text)})`);
  return value;
}

/** "50-150" → { minMs: 50, maxMs: 150 }; "0-0" is no latency at all. */
export function latencyRange(flag: string, text: string | undefined): { minMs: number; maxMs: number } {
  const match = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text ?? '');
  const minMs = Number(match?.[1]);
  const maxMs = Number(match?.[2]);
  if (match === null || !Number.isSafeInteger(minMs) || !Number.isSafeInteger(maxMs))
    throw new Error(`${flag} needs MIN-MAX in whole ms, e.g. 50-150 (got ${String(text)})`);
  if (maxMs < minMs) throw new Error(`${flag}: MAX must not be less than MIN (got ${String(text)})`);
  return { minMs, maxMs };
}

export function logLevel(flag: string, text: string | undefined): BenchLogLevel {
  const known = LOG_LEVELS.find((level) => level === text);
  if (known === undefined)
    throw new Error(`${flag} needs one of ${LOG_LEVELS.join(', ')} (got ${String(text)})`);
  return known;
}

export function folder(flag: string, text: string | undefined): string {
  if (text === undefined || text === '') throw new Error(`${flag} needs a folder`);
  return text;
}

/** What one flag does to the options being built: a switch, or a flag followed by a value. */
export type CommandLineOption<Options> =
  | { readonly takesValue: false; apply(options: Options): void }
  | { readonly takesValue: true; apply(options: Options, text: string | undefined, flag: string): void };

export type CommandLineOptions<Options> = Readonly<Record<string, CommandLineOption<Options>>>;

/** The keys of `Options` whose values are of type `Value`. */
type KeysWithValue<Options, Value> = {
  [Key in keyof Options]-?: Options[Key] extends Value ? Key : never;
}[keyof Options];

/** A flag without a value that sets `key` to `value` (e.g. --postgres, --no-profile). */
export function switchOption<Options>(
  key: KeysWithValue<Options, boolean>,
  value: boolean,
): CommandLineOption<Options> {
  return {
    takesValue: false,
    apply: (options) => {
      (options as Record<KeysWithValue<Options, boolean>, boolean>)[key] = value;
    },
  };
}

/** A flag followed by a value that `parse` checks and `key` receives (e.g. --duration 5). */
export function valueOption<Options, Value>(
  key: KeysWithValue<Options, Value>,
  parse: (flag: string, text: string | undefined) => Value,
): CommandLineOption<Options> {
  return {
    takesValue: true,
    apply: (options, text, flag) => {
      (options as Record<KeysWithValue<Options, Value>, Value>)[key] = parse(flag, text);
    },
  };
}

/** The checkout's payment simulator as a benchmark sets it (PAGAMENTO_LATENCIA_MIN/MAX_MS, PAGAMENTO_TAXA_REJEICAO). */
export interface PaymentSimulatorSettings {
  minMs: number;
  maxMs: number;
  /** Fraction of payments refused, 0–1. */
  rejection: number;
}

/** --payment-latency MIN-MAX and --rejection F, into `options.payment`. */
export function paymentSimulatorOptions<
  Options extends { payment: PaymentSimulatorSettings },
>(): CommandLineOptions<Options> {
  return {
    '--payment-latency': {
      takesValue: true,
      apply: (options, text, flag) => {
        options.payment = { ...options.payment, ...latencyRange(flag, text) };
      },
    },
    '--rejection': {
      takesValue: true,
      apply: (options, text, flag) => {
        options.payment = { ...options.payment, rejection: fraction(flag, text) };
      },
    },
  };
}

/** --quick, --log-level L and --out DIR. */
export const BASE_OPTIONS: CommandLineOptions<BaseBenchOptions> = {
  '--quick': switchOption('quick', true),
  '--log-level': valueOption('logLevel', logLevel),
  '--out': valueOption('outDir', folder),
};

/** The base options, --duration S and --warmup S. */
export const COMMON_OPTIONS: CommandLineOptions<CommonBenchOptions> = {
  ...BASE_OPTIONS,
  '--duration': valueOption('durationS', positiveNumber),
  '--warmup': valueOption('warmupS', positiveNumber),
};

/**
 * Applies `argv` (without node and the script) to `defaults` through `table`, and returns them.
 * An unknown flag throws "unknown option <flag>" followed by `unknownOptionHint`.
 */
export function parseCommandLine<Options>(
  argv: readonly string[],
  defaults: NoInfer<Options>,
  table: CommandLineOptions<Options>,
  unknownOptionHint = ' (see --help)',
): Options {
  const options = defaults;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    const option = Object.hasOwn(table, flag) ? table[flag] : undefined;
    if (option === undefined) throw new Error(`unknown option ${flag}${unknownOptionHint}`);
    if (option.takesValue) {
      i += 1;
      option.apply(options, argv[i], flag);
    } else option.apply(options);
  }
  return options;
}
