/**
 * What the asynchronous checkout's two deployables (worker-main.ts and embedded-main.ts) do alike
 * around their own start: one logger per hosted service (the configuration's notes first), a
 * failed start reported and released (exit 1), and the graceful stop on SIGTERM/SIGINT: what the
 * start registered is released newest first, bounded by STOP_TIMEOUT_MS, then exit 0.
 */
import type { Logger } from '@dslab/logging';
import { serviceLoggers, type ServiceLoggers } from './loggers.js';

/** Longest graceful stop before giving up (in-flight steps, the relays' last pass, closing). */
export const STOP_TIMEOUT_MS = 25_000;

/** What a deployable's start gets. */
export interface DeployableStart {
  readonly loggers: ServiceLoggers;
  /** The process's own lines (named after the deployable). */
  readonly logger: Logger;
  /** Registers what to release at stop, or at once if the start fails later; newest released first. */
  readonly onStop: (release: () => Promise<void>) => void;
}

/**
 * Runs `start` (it logs its own "ready" line) as the deployable `name`, with the settings
 * `config` that main.ts parsed (loadConfigOrExit) and their `notes`, then waits for
 * SIGTERM/SIGINT. A failed start logs `Falha ao iniciar <name>: <reason>`, releases what was
 * registered and exits 1. A release that fails at stop is logged and the others still run.
 */
export async function runDeployable(
  name: string,
  config: Parameters<typeof serviceLoggers>[0],
  notes: readonly string[],
  start: (context: DeployableStart) => Promise<void>,
): Promise<void> {
  const loggers = serviceLoggers(config);
  const logger = loggers.of(name);
  for (const note of notes) logger.warn(note);

  const releases: (() => Promise<void>)[] = [];
  const releaseAll = async () => {
    for (const release of releases.splice(0).reverse())
      await release().catch((error: unknown) => {
        logger.error(`Falha no encerramento: ${String(error)}`);
      });
  };

  try {
    await start({ loggers, logger, onStop: (release) => releases.push(release) });
  } catch (error) {
    logger.error(`Falha ao iniciar ${name}: ${error instanceof Error ? error.message : String(error)}`);
    await releaseAll();
    loggers.closeAll();
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`Recebido ${signal}, encerrando`);
    const timer = setTimeout(() => {
      logger.error('Encerramento excedeu o tempo limite; saindo');
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    timer.unref();
    void releaseAll().then(() => {
      logger.info('Encerrado');
      loggers.closeAll();
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
