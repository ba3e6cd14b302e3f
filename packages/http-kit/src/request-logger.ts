import type { FastifyBaseLogger } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
type LooseLogger = Record<Level, (...args: unknown[]) => void>;

/**
 * Fastify's own per-request logger (`request.log`, `reply.log`), made only when something logs
 * through it. Fastify builds one for every request (a pino child bound to the trace id, its
 * bindings run through redaction: ≈1.8 µs and some garbage), yet with request logging off it
 * writes only on rare faults (a reply sent twice, a failing hook). Lines that do get written
 * carry the same `trace` binding as before.
 */
export class LazyRequestLogger implements FastifyBaseLogger {
  private bound: FastifyBaseLogger | undefined = undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  private get logger(): LooseLogger & FastifyBaseLogger {
    this.bound ??= this.parent.child(this.bindings, this.options);
    return this.bound;
  }

  get level(): string {
    return this.logger.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }

  fatal(...args: unknown[]): void {
    this.logger.fatal(...args);
  }

  error(...args: unknown[]): void {
    this.logger.error(...args);
  }

  warn(...args: unknown[]): void {
    this.logger.warn(...args);
  }

  info(...args: unknown[]): void {
    this.logger.info(...args);
  }

  debug(...args: unknown[]): void {
    this.logger.debug(...args);
  }

  trace(...args: unknown[]): void {
    this.logger.trace(...args);
  }

  silent(...args: unknown[]): void {
    this.logger.silent(...args);
  }
}
