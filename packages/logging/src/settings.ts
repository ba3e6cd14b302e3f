import { join } from 'node:path';
import { env } from '@dslab/config';
import { createLogger, type LogFormat, type Logger, type LogLevel } from './logger.js';

/** The logging settings every deployable accepts; spread into its config schema. */
export const loggingSettings = {
  LOG_DIR: env.string('directory of app.log (default: DATA_DIR)').optional(),
  LOG_LEVEL: env
    .oneOf('application log level (audit lines are written at every level)', [
      'debug',
      'info',
      'warn',
      'error',
      'silent',
    ] as const)
    .default('info'),
  LOG_FORMAT: env
    .oneOf('console/app.log format: the seed line format or JSON', ['line', 'json'] as const)
    .default('line'),
};

/**
 * The service's logger from its parsed settings: console plus `app.log` in LOG_DIR (default
 * DATA_DIR), with the configuration notes (development-only defaults in use) logged first.
 */
export function createServiceLogger(
  service: string,
  config: { DATA_DIR: string; LOG_DIR: string | undefined; LOG_LEVEL: LogLevel; LOG_FORMAT: LogFormat },
  notes: readonly string[],
): Logger {
  const logger = createLogger({
    service,
    level: config.LOG_LEVEL,
    format: config.LOG_FORMAT,
    file: join(config.LOG_DIR ?? config.DATA_DIR, 'app.log'),
  });
  for (const note of notes) logger.warn(note);
  return logger;
}
