import type { Logger } from '@dslab/logging';
import type { HttpApp } from './app.js';

export interface ServeOptions {
  port: number;
  host?: string;
  logger: Logger;
  /** Runs after the server stopped accepting and in-flight requests finished. */
  onShutdown?: () => Promise<void> | void;
  /** Longest wait for in-flight requests before exiting anyway. */
  shutdownTimeoutMs?: number;
}

/**
 * Listens and installs graceful shutdown: on SIGTERM/SIGINT stop accepting, let in-flight
 * requests finish (bounded), run `onShutdown`, exit 0. A second signal exits at once.
 */
export async function serve(app: HttpApp, options: ServeOptions): Promise<string> {
  const address = await app.listen({ port: options.port, host: options.host ?? '0.0.0.0' });
  let stopping = false;
  // A second, different signal while stopping (e.g. SIGTERM from a supervisor after the
  // terminal's SIGINT) is ignored; the same signal twice falls through to Node's default and kills.
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    options.logger.info(`Recebido ${signal}, encerrando`);
    const timer = setTimeout(() => {
      options.logger.error('Encerramento excedeu o tempo limite; saindo');
      process.exit(1);
    }, options.shutdownTimeoutMs ?? 10_000);
    timer.unref();
    app
      .close()
      .then(() => options.onShutdown?.())
      .then(() => {
        options.logger.info('Encerrado');
        options.logger.close();
        process.exit(0);
      })
      .catch((error: unknown) => {
        options.logger.error(`Falha no encerramento: ${String(error)}`);
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return address;
}
