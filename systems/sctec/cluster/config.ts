/**
 * Settings of `npm run start:cluster`, parsed once: the only place the cluster launcher reads
 * the environment. The defaults are this machine's engines (development defaults, announced).
 */
import { env, loadConfigOrExit } from '@dslab/config';

/** The engines on this machine (the chaos run needs only these). */
export const engineSettings = {
  DATABASE_URL: env
    .url('PostgreSQL shared by the schedulers', { protocols: ['postgres', 'postgresql'] })
    .devDefault('postgres://postgres@127.0.0.1:5432/test'),
  REDIS_URL: env
    .url('Redis holding the coordinators’ lock state', { protocols: ['redis', 'rediss'] })
    .devDefault('redis://127.0.0.1:6379'),
};

export const clusterConfigSchema = {
  SCHEDULER_PORT: env.port('balanced address of the schedulers (what clients use)').default(5000),
  COORDINATOR_PORT: env.port('balanced address of the coordinators (what the schedulers use)').default(3000),
  SCHEDULERS: env.int('number of servico-agendamento processes', { min: 1, max: 8 }).default(2),
  COORDINATORS: env.int('number of servico-coordenador processes', { min: 1, max: 8 }).default(2),
  ...engineSettings,
  DATABASE_SCHEMA: env
    .string('PostgreSQL schema of the cluster (created if missing)')
    .default('sctec_cluster'),
  LOCK_STORE_PREFIX: env.string('key prefix of the cluster in Redis').default('sctec-cluster'),
  DATA_DIR: env.string('per-process data directories (app.log) go below this').default('./data/cluster'),
  JWT_SECRET: env
    .string('HS256 secret shared by all schedulers', { minLength: 32 })
    .devDefault('dev-only-jwt-secret-change-me-0123456789'),
  ADMIN_EMAIL: env.string('e-mail of the admin created on first start').devDefault('admin@sctec.local'),
  ADMIN_PASSWORD: env
    .string('password of the admin created on first start', { minLength: 8 })
    .devDefault('admin-dev-password'),
  LOG_LEVEL: env.string('log level of every process').default('info'),
};

export function loadClusterConfig() {
  return loadConfigOrExit(clusterConfigSchema, 'sctec-cluster');
}

export function loadEngineConfig() {
  return loadConfigOrExit(engineSettings, 'sctec-chaos');
}
