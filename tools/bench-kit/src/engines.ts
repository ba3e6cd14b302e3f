import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * The engines a benchmark runs against: their URLs as the services name them (each variable's
 * value, or the development default of .ci/run's local servers), and how a report shows them.
 */

/** The development defaults: the local servers. */
export const DEVELOPMENT_ENGINE_URLS = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
  REDIS_URL: 'redis://127.0.0.1:6379',
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
} as const;

export type EngineVariable = keyof typeof DEVELOPMENT_ENGINE_URLS;

export interface EngineUrls<Name extends EngineVariable> {
  /** Each variable's URL. */
  readonly urls: Readonly<Record<Name, string>>;
  /** The variables that were unset or empty, so their development default was taken (the report says so). */
  readonly defaults: Name[];
}

/**
 * The URLs of `names` in `environment` (the caller's, read in its config module), in that order;
 * an unset or empty one is its development default.
 */
export function engineUrls<const Name extends EngineVariable>(
  environment: NodeJS.ProcessEnv,
  names: readonly Name[],
): EngineUrls<Name> {
  const urls = {} as Record<Name, string>;
  const defaults: Name[] = [];
  for (const name of names) {
    const value = environment[name];
    if (value !== undefined && value !== '') urls[name] = value;
    else {
      urls[name] = DEVELOPMENT_ENGINE_URLS[name];
      defaults.push(name);
    }
  }
  return { urls, defaults };
}

/** PostgreSQL and RabbitMQ from `environment` (DATABASE_URL, AMQP_URL), as the checkout benchmarks use them. */
export function postgresAndRabbitmq(environment: NodeJS.ProcessEnv): {
  readonly databaseUrl: string;
  readonly amqpUrl: string;
  readonly defaults: ('DATABASE_URL' | 'AMQP_URL')[];
} {
  const { urls, defaults } = engineUrls(environment, ['DATABASE_URL', 'AMQP_URL']);
  return { databaseUrl: urls.DATABASE_URL, amqpUrl: urls.AMQP_URL, defaults };
}

/** A URL without user and password, for the report. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** RabbitMQ's version as `rabbitmqctl version` prints it (a report states it), or why it is unknown. */
export async function rabbitmqVersion(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('rabbitmqctl', ['version'], { timeout: 15_000 });
    const version = stdout.trim().split('\n').pop()?.trim();
    return version === undefined || version === '' ? 'unknown' : version;
  } catch {
    return 'unknown (rabbitmqctl not available)';
  }
}
