import { env, type ConfigOf, type ConfigOptions } from '@dslab/config';
import { loggingSettings } from '@dslab/logging';
import { DEFAULT_TTL_MS, MAX_TTL_MS } from './domain/lock-service.js';
import { DEFAULT_EVENT_BUFFER_SIZE, DEFAULT_EVENT_HEARTBEAT_MS } from './event-feed.js';

/**
 * Every setting of servico-coordenador; parsed once in main.ts (the only reader of process.env).
 *
 * RATE_LIMIT_PER_MINUTE defaults to 0 (off): the coordinator is an internal service whose one
 * client, the scheduler, talks to it over a single keep-alive pool from one address, so a
 * per-address limit would throttle every booking at once. Protect it with COORDINATOR_SECRET
 * and the network instead (Compose publishes it on 127.0.0.1 only).
 */
export const coordinatorConfigSchema = {
  COORDINATOR_PORT: env.port('HTTP port of the coordinator').default(3000),
  HOST: env.string('interface to listen on').default('0.0.0.0'),
  DATA_DIR: env
    .string('directory of the fencing-token high-water mark (and app.log by default)')
    .default('./data/coordenador'),
  ...loggingSettings,
  COORDINATOR_SECRET: env
    .string(
      'shared secret: when set, /lock, /unlock, /locks/* and /eventos need "Authorization: Bearer <secret>"',
      {
        minLength: 8,
      },
    )
    .optional(),
  RATE_LIMIT_PER_MINUTE: env
    .int(
      'requests per minute per client address; 0 (default) turns the limit off for this internal service',
      {
        min: 0,
      },
    )
    .default(0),
  DEFAULT_TTL_MS: env
    .int('lease granted when a lock request names no ttl_ms', { min: 1, max: MAX_TTL_MS })
    .default(DEFAULT_TTL_MS),
  EVENT_BUFFER_SIZE: env
    .int('booking events kept for Last-Event-ID replay', { min: 1, max: 1_000_000 })
    .default(DEFAULT_EVENT_BUFFER_SIZE),
  EVENT_HEARTBEAT_MS: env
    // Subscribers (the scheduler's relay) drop a stream after 45 s of silence: stay well below.
    .int('interval of the ": ping" comment on GET /eventos streams', { min: 100, max: 30_000 })
    .default(DEFAULT_EVENT_HEARTBEAT_MS),
  LOCK_STORE: env
    .oneOf(
      'where lock state lives: memory (one coordinator), redis or postgres (several coordinators behind one address)',
      ['memory', 'redis', 'postgres'] as const,
    )
    .default('memory'),
  REDIS_URL: env
    .url('Redis for LOCK_STORE=redis (also carries the shared booking events when the store is shared)', {
      protocols: ['redis', 'rediss'],
    })
    .optional(),
  DATABASE_URL: env
    .url('PostgreSQL for LOCK_STORE=postgres', { protocols: ['postgres', 'postgresql'] })
    .optional(),
  LOCK_STORE_PREFIX: env
    .string(
      'namespace of the shared lock state: Redis key prefix or PostgreSQL schema (lower-case letters, digits, _); coordinators sharing locks share it',
    )
    .default('sctec'),
};

export type CoordinatorConfig = ConfigOf<typeof coordinatorConfigSchema>;

/** Cross-field rules: each shared store needs its address, and the namespace must suit it. */
export const coordinatorConfigOptions: ConfigOptions<typeof coordinatorConfigSchema> = {
  check(config) {
    const problems: string[] = [];
    if (config.LOCK_STORE === 'redis' && config.REDIS_URL === undefined)
      problems.push('REDIS_URL is required when LOCK_STORE=redis (e.g. redis://127.0.0.1:6379)');
    if (config.LOCK_STORE === 'postgres' && config.DATABASE_URL === undefined)
      problems.push('DATABASE_URL is required when LOCK_STORE=postgres (e.g. postgres://user@host:5432/db)');
    if (config.LOCK_STORE === 'postgres' && !/^[a-z_][a-z0-9_]{0,50}$/.test(config.LOCK_STORE_PREFIX))
      problems.push(
        `LOCK_STORE_PREFIX must be a PostgreSQL schema name (1 to 51 lower-case letters, digits or _, not starting with a digit) when LOCK_STORE=postgres, got "${config.LOCK_STORE_PREFIX}"`,
      );
    return problems;
  },
};
