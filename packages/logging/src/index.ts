export {
  createLogger,
  REDACTED_PATHS,
  type Logger,
  type LoggerOptions,
  type LogFormat,
  type LogLevel,
} from './logger.js';
export { newSpanId, newTraceId, parseTraceparent, traceparentFor, type TraceContext } from './trace.js';
export { createServiceLogger, loggingSettings } from './settings.js';
