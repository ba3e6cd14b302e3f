import { env, type ConfigOf, type ConfigOptions } from '@dslab/config';
import { checkKvEngineSettings, kvEngineSettings } from '@dslab/kv-core';
import { loggingSettings } from '@dslab/logging';

/** Every setting of kv-api; parsed once in main.ts (the only reader of process.env). */
export const kvApiConfigSchema = {
  KV_PORT: env.port('HTTP port of the KV API').default(8080),
  HOST: env.string('interface to listen on').default('0.0.0.0'),
  DATA_DIR: env.string('directory of app.log (unless LOG_DIR says otherwise)').default('./data/kv'),
  ...loggingSettings,
  // The engines and namespaces kv-consumer shares, declared once in kv-core so the two agree.
  ...kvEngineSettings,
  KV_MIN_VERSION_WAIT_MS: env
    .int('longest wait of GET ?min_version=V for version V to become visible, before 425', {
      min: 0,
      max: 30_000,
    })
    .default(2000),
  PUBLISH_TIMEOUT_MS: env
    .int('longest wait for the broker to confirm a write, before 503', { min: 100, max: 60_000 })
    .default(5000),
  RATE_LIMIT_PER_MINUTE: env
    .int('requests per minute per client address; 0 (default) is off', { min: 0 })
    .default(0),
};

export type KvApiConfig = ConfigOf<typeof kvApiConfigSchema>;

export const kvApiConfigOptions: ConfigOptions<typeof kvApiConfigSchema> = {
  check: checkKvEngineSettings,
};
