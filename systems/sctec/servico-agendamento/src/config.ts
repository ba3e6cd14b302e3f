import { env } from '@dslab/config';
import { loggingSettings } from '@dslab/logging';
import { DEFAULT_WEB_CLIENT_DIR } from './entry-points/http/routes-web.js';

/**
 * Development-only receipt key: anyone can read it here, so receipts it signs prove nothing.
 * Production sets RECEIPT_SIGNING_KEY (start-up prints that the development default is in use).
 */
export const DEV_RECEIPT_SIGNING_KEY =
  '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIK/2w1Mua+kiePhTAMypQaVwrfmK/yRfMl0swutlsGPG\n-----END PRIVATE KEY-----\n';

/** Every setting of servico-agendamento; parsed once in main.ts. */
export const schedulerConfigSchema = {
  SCHEDULER_PORT: env.port('HTTP port of the scheduler').default(5000),
  HOST: env.string('interface to listen on').default('0.0.0.0'),
  COORDINATOR_URL: env
    .url('base URL of servico-coordenador', { protocols: ['http', 'https'] })
    .default('http://localhost:3000'),
  COORDINATOR_SECRET: env.string('shared secret presented to the coordinator', { minLength: 8 }).optional(),
  EVENTS_PUBLISH_TIMEOUT_MS: env
    .int('bound on publishing one booking event to the coordinator (a failure only logs a warning)', {
      min: 10,
      max: 10_000,
    })
    .default(500),
  DATA_DIR: env.string('directory for the SQLite file (and app.log by default)').default('./data'),
  ...loggingSettings,
  DATABASE_URL: env
    .url('PostgreSQL URL; when unset, SQLite under DATA_DIR', { protocols: ['postgres', 'postgresql'] })
    .optional(),
  DATABASE_SCHEMA: env.string('PostgreSQL schema to use (created if missing)').optional(),
  JWT_SECRET: env
    .string('HS256 signing secret for access tokens', { minLength: 32 })
    .devDefault('dev-only-jwt-secret-change-me-0123456789'),
  JWT_TTL_SECONDS: env.int('access token lifetime in seconds', { min: 60, max: 7 * 24 * 3600 }).default(3600),
  ADMIN_EMAIL: env.string('e-mail of the admin created on first start').devDefault('admin@sctec.local'),
  ADMIN_PASSWORD: env
    .string('password of the admin created on first start', { minLength: 8 })
    .devDefault('admin-dev-password'),
  RATE_LIMIT_PER_MINUTE: env
    .int('requests per minute per client address; 0 turns the limit off', { min: 0 })
    .default(20_000),
  BODY_LIMIT_BYTES: env.int('largest accepted request body', { min: 256, max: 1_048_576 }).default(16_384),
  LOCK_TTL_MS: env
    .int('lease asked of the coordinator per slot lock', { min: 100, max: 300_000 })
    .default(10_000),
  QUOTA_DEFAULT_MINUTES: env
    .int(
      'observing minutes per period (calendar month, UTC) for a scientist whose allocation the admin has not set',
      {
        min: 0,
        max: 1_000_000,
      },
    )
    .default(600),
  QUOTA_REFUND_NOTICE_HOURS: env
    .int('a cancellation at least this long before the start refunds its minutes', { min: 0, max: 8760 })
    .default(72),
  HOLD_SECONDS: env
    .int('how long the first waiter holds a freed slot before it passes to the next', { min: 10, max: 3600 })
    .default(120),
  WAITLIST_SWEEP_MS: env
    .int('how often expired holds are handed on in the background', { min: 50, max: 60_000 })
    .default(1000),
  RECEIPT_SIGNING_KEY: env
    .string('Ed25519 private key (PKCS#8 PEM; \\n escapes allowed) that signs decision receipts', {
      minLength: 40,
    })
    .devDefault(DEV_RECEIPT_SIGNING_KEY),
  TRUST_PROXY: env.bool('take client addresses from X-Forwarded-For').default(false),
  WEB_CLIENT_DIR: env
    .string('folder of the built web client served at / and /app/ (npm run build:web)')
    .default(DEFAULT_WEB_CLIENT_DIR),
  UNSAFE_SKIP_LOCK: env.bool('DEMO ONLY: book without the coordinator lock').default(false),
  UNSAFE_SKIP_FENCE: env.bool('DEMO ONLY: do not check fencing tokens').default(false),
  UNSAFE_SKIP_UNIQUE: env.bool('DEMO ONLY: drop the one-active-booking-per-slot index').default(false),
  DEMO_DELAY_BEFORE_SAVE_MS: env
    .int('DEMO ONLY: widen the check-then-save window by this many ms', { min: 0, max: 10_000 })
    .default(0),
};
