import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type Logger as PinoLogger } from 'pino';

/**
 * Application logging in the seed's line format:
 *   INFO:2025-10-26T18:00:04.500Z:servico-agendamento:Requisição recebida para POST /agendamentos [trace=…]
 * written to the console and to app.log. pino does the levels, child bindings and redaction;
 * a small synchronous sink renders each record, so nothing is buffered and lost on a crash
 * (audit lines depend on that).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'line' | 'json';

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** 'line' is the seed's format; 'json' is one pino JSON object per line, for log shippers. */
  format?: LogFormat;
  /** Path of app.log; omitted means console only. */
  file?: string;
  /** Write to stdout as well (default true). */
  console?: boolean;
  /** Extra sink for tests: receives every rendered line. */
  onLine?: (line: string) => void;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Appends one audit record (already in its final JSON shape) synchronously, level AUDIT. */
  audit(record: object): void;
  /** A logger whose lines carry the given trace id. */
  withTrace(traceId: string): Logger;
  /** The pino instance, for frameworks that want one (Fastify's loggerInstance). */
  readonly pino: PinoLogger<'audit'>;
  /** Closes app.log. */
  close(): void;
}

/** Pino's labels → the seed's (Python logging's) level names. */
const levelNames: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
  audit: 'AUDIT',
};

/** Keys that pino or we add to every record; anything else is an extra field. */
const standardKeys = new Set(['level', 'time', 'msg', 'service', 'trace', 'audit']);

/** Never written anywhere, at any depth we know of. */
export const REDACTED_PATHS = [
  'senha',
  'password',
  'access_token',
  'authorization',
  '*.senha',
  '*.password',
  '*.access_token',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
];

interface Sink {
  write(line: string): void;
  close(): void;
}

function createSink(options: LoggerOptions): Sink {
  let fd: number | undefined;
  if (options.file !== undefined) {
    mkdirSync(dirname(options.file), { recursive: true });
    fd = openSync(options.file, 'a');
  }
  const toConsole = options.console ?? true;
  return {
    write(line) {
      // Synchronous on purpose: a crash right after an audit write must not lose the line.
      if (fd !== undefined) writeSync(fd, line);
      if (toConsole) process.stdout.write(line);
      options.onLine?.(line);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

function renderLine(service: string, json: string): string {
  const record = JSON.parse(json) as Record<string, unknown>;
  const level = levelNames[String(record.level)] ?? String(record.level).toUpperCase();
  const time = typeof record.time === 'string' ? record.time : new Date().toISOString();
  let message = typeof record.msg === 'string' ? record.msg : '';
  if (record.level === 'audit' && record.audit !== undefined) message = JSON.stringify(record.audit);
  const extras: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (!standardKeys.has(key)) extras[key] = value;
  const extraText = Object.keys(extras).length > 0 ? ` ${JSON.stringify(extras)}` : '';
  const trace = typeof record.trace === 'string' ? ` [trace=${record.trace}]` : '';
  return `${level}:${time}:${service}:${oneLine(message)}${extraText}${trace}\n`;
}

/** One record, one line: line breaks inside a message (e.g. from user input) are escaped. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** An audit record as an AUDIT line, written whatever the log level (the trail is not debugging output). */
function renderAudit(service: string, format: LogFormat, record: object, trace: string | undefined): string {
  const time = new Date().toISOString();
  if (format === 'json')
    return `${JSON.stringify({ level: 'audit', time, service, ...(trace === undefined ? {} : { trace }), audit: record })}\n`;
  return `AUDIT:${time}:${service}:${JSON.stringify(record)}${trace === undefined ? '' : ` [trace=${trace}]`}\n`;
}

export function createLogger(options: LoggerOptions): Logger {
  const sink = createSink(options);
  const format = options.format ?? 'line';
  const stream = {
    write(json: string) {
      sink.write(format === 'json' ? json : renderLine(options.service, json));
    },
  };
  const root = pino<'audit'>(
    {
      level: options.level ?? 'info',
      customLevels: { audit: 35 },
      base: format === 'json' ? { service: options.service } : null,
      messageKey: 'msg',
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    stream,
  );
  return wrap(root, sink, { service: options.service, format, trace: undefined });
}

function wrap(
  instance: PinoLogger<'audit'>,
  sink: Sink,
  context: { service: string; format: LogFormat; trace: string | undefined },
): Logger {
  const log =
    (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) => {
      if (fields === undefined) instance[level](message);
      else instance[level](fields, message);
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    audit(record) {
      sink.write(renderAudit(context.service, context.format, record, context.trace));
    },
    withTrace(traceId) {
      return wrap(instance.child({ trace: traceId }), sink, { ...context, trace: traceId });
    },
    pino: instance,
    close: () => sink.close(),
  };
}
