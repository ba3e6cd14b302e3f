/**
 * Configuration is read from the environment once, at start-up, through a declared schema.
 * Every bad key is reported at once (not just the first), and development-only defaults
 * (secrets a developer may leave unset) are announced so nobody ships them unknowingly.
 */

export interface Field<T> {
  /** Parses the raw text, or returns an error message. */
  parse(raw: string): { ok: true; value: T } | { ok: false; message: string };
  /** Used when the variable is absent or empty; undefined means the variable is required. */
  readonly fallback?: { value: T; devOnly: boolean } | undefined;
  readonly description: string;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

function field<T>(
  description: string,
  parse: (raw: string) => Parsed<T>,
  fallback?: { value: T; devOnly: boolean },
): Field<T> & {
  default(value: T): Field<T>;
  devDefault(value: T): Field<T>;
  optional(): Field<T | undefined>;
} {
  const base: Field<T> = { parse, fallback, description };
  return {
    ...base,
    default: (value: T) => ({ ...base, fallback: { value, devOnly: false } }),
    devDefault: (value: T) => ({ ...base, fallback: { value, devOnly: true } }),
    optional: () => ({
      description,
      parse,
      fallback: { value: undefined, devOnly: false },
    }),
  };
}

export const env = {
  string: (description: string, opts: { minLength?: number } = {}) =>
    field<string>(description, (raw) =>
      raw.length >= (opts.minLength ?? 1)
        ? { ok: true, value: raw }
        : { ok: false, message: `must be at least ${opts.minLength ?? 1} characters long` },
    ),
  int: (description: string, opts: { min?: number; max?: number } = {}) =>
    field<number>(description, (raw) => {
      if (!/^-?\d+$/.test(raw.trim())) return { ok: false, message: `must be an integer, got "${raw}"` };
      const value = Number(raw);
      if (opts.min !== undefined && value < opts.min)
        return { ok: false, message: `must be ≥ ${opts.min}, got ${value}` };
      if (opts.max !== undefined && value > opts.max)
        return { ok: false, message: `must be ≤ ${opts.max}, got ${value}` };
      return { ok: true, value };
    }),
  number: (description: string, opts: { min?: number; max?: number } = {}) =>
    field<number>(description, (raw) => {
      const text = raw.trim();
      if (!/^-?(\d+\.?\d*|\.\d+)$/.test(text))
        return { ok: false, message: `must be a number, got "${raw}"` };
      const value = Number(text);
      if (opts.min !== undefined && value < opts.min)
        return { ok: false, message: `must be ≥ ${opts.min}, got ${value}` };
      if (opts.max !== undefined && value > opts.max)
        return { ok: false, message: `must be ≤ ${opts.max}, got ${value}` };
      return { ok: true, value };
    }),
  port: (description: string) =>
    field<number>(description, (raw) => {
      const value = Number(raw);
      return /^\d+$/.test(raw.trim()) && value >= 0 && value <= 65535
        ? { ok: true, value }
        : { ok: false, message: `must be a TCP port (0–65535), got "${raw}"` };
    }),
  bool: (description: string) =>
    field<boolean>(description, (raw) => {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return { ok: true, value: true };
      if (['0', 'false', 'no', 'off'].includes(v)) return { ok: true, value: false };
      return { ok: false, message: `must be true or false, got "${raw}"` };
    }),
  url: (description: string, opts: { protocols?: string[] } = {}) =>
    field<string>(description, (raw) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return { ok: false, message: `must be an absolute URL, got "${raw}"` };
      }
      if (opts.protocols && !opts.protocols.includes(url.protocol.replace(/:$/, ''))) {
        return { ok: false, message: `must use ${opts.protocols.join(' or ')}, got "${url.protocol}"` };
      }
      return { ok: true, value: raw.replace(/\/+$/, '') };
    }),
  oneOf: <const T extends string>(description: string, values: readonly T[]) =>
    field<T>(description, (raw) =>
      (values as readonly string[]).includes(raw)
        ? { ok: true, value: raw as T }
        : { ok: false, message: `must be one of ${values.join(', ')}, got "${raw}"` },
    ),
};

export type ConfigSchema = Record<string, Field<unknown>>;
export type ConfigOf<S extends ConfigSchema> = {
  readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig<S extends ConfigSchema> {
  config: ConfigOf<S>;
  /** Human-readable notes, e.g. which development-only defaults are in use. */
  notes: string[];
}

export interface ConfigOptions<S extends ConfigSchema> {
  /**
   * Cross-field rules (e.g. "REDIS_URL is required when LOCK_STORE=redis"): runs once every key
   * parsed on its own, returns one message per broken rule (empty when all hold).
   */
  check?: (config: ConfigOf<S>) => readonly string[];
}

/** Parses `source` (normally process.env) against `schema`; throws ConfigError naming every bad key. */
export function parseConfig<S extends ConfigSchema>(
  schema: S,
  source: Record<string, string | undefined>,
  options: ConfigOptions<S> = {},
): LoadedConfig<S> {
  const problems: string[] = [];
  const notes: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    const raw = source[key];
    if (raw === undefined || raw === '') {
      if (spec.fallback === undefined) {
        problems.push(`${key} is required (${spec.description})`);
      } else {
        out[key] = spec.fallback.value;
        if (spec.fallback.devOnly) {
          notes.push(
            `${key} is not set: using a DEVELOPMENT-ONLY default (${spec.description}); set it in production`,
          );
        }
      }
      continue;
    }
    const parsed = spec.parse(raw);
    if (parsed.ok) out[key] = parsed.value;
    else problems.push(`${key} ${parsed.message} (${spec.description})`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = Object.freeze(out) as ConfigOf<S>;
  const broken = options.check?.(config) ?? [];
  if (broken.length > 0) throw new ConfigError([...broken]);
  return { config, notes };
}

/**
 * For main.ts: parse, or print every problem and exit non-zero. The notes are returned for
 * the service's logger to print. The only place where a deployable touches process.env.
 */
export function loadConfigOrExit<S extends ConfigSchema>(
  schema: S,
  service: string,
  options: ConfigOptions<S> = {},
): LoadedConfig<S> {
  try {
    return parseConfig(schema, process.env, options);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`ERROR:${service}:${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}
