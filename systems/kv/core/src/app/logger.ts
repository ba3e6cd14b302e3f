import type { Logger } from '@dslab/logging';

/** The part of the service logger the KV use cases write to (a test may pass a recorder). */
export type KvLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** Long values and message bodies are cut in log lines: a 256 KiB value must not flood the log. */
export const LOG_TEXT_MAX = 120;

export function truncateForLog(text: string, max = LOG_TEXT_MAX): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
