import { join } from 'node:path';
import { createLogger, type LogFormat, type Logger, type LogLevel } from '@dslab/logging';

export interface ServiceLoggers {
  /** The logger whose lines name `service` (made on first use, then the same one). */
  of(service: string): Logger;
  /** Closes every app.log handle. */
  closeAll(): void;
}

/**
 * One logger per service hosted by this process, so a line still says which service wrote it
 * (`INFO:…:pagamentos:Pagamento aprovado…`), all of them on the console and in the process's one
 * app.log (LOG_DIR, default DATA_DIR), appended line by line.
 */
export function serviceLoggers(config: {
  readonly DATA_DIR: string;
  readonly LOG_DIR: string | undefined;
  readonly LOG_LEVEL: LogLevel;
  readonly LOG_FORMAT: LogFormat;
}): ServiceLoggers {
  const loggers = new Map<string, Logger>();
  const file = join(config.LOG_DIR ?? config.DATA_DIR, 'app.log');
  return {
    of(service) {
      let logger = loggers.get(service);
      if (logger === undefined) {
        logger = createLogger({ service, level: config.LOG_LEVEL, format: config.LOG_FORMAT, file });
        loggers.set(service, logger);
      }
      return logger;
    },
    closeAll() {
      for (const logger of loggers.values()) logger.close();
      loggers.clear();
    },
  };
}
