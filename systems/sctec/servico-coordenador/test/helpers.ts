import { createLogger } from '@dslab/logging';
import { startOnFreePort } from '@dslab/testing';
import { buildApp, SERVICE } from '../src/app.js';
import { createMemoryTokenStore } from '../src/adapters/token-store.js';
import type { LockService } from '../src/domain/lock-service.js';
import type { HttpApp } from '@dslab/http-kit';
import { createLockEvents } from '../src/lock-events.js';
import { createPlatformLockService, openSharedLockService, type SharedStoreSettings } from '../src/wiring.js';

/** One parsed application log line: `LEVEL:<iso>:servico-coordenador:<message> [trace=…]`. */
export interface LogLine {
  level: string;
  message: string;
  trace: string | undefined;
}

const LINE =
  /^([A-Z]+):\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z:servico-coordenador:(.*?)(?: \[trace=([0-9a-f]{32})\])?$/;

export function parseLine(raw: string): LogLine {
  const match = LINE.exec(raw.trimEnd());
  if (match === null) throw new Error(`not a seed log line: ${JSON.stringify(raw)}`);
  return { level: match[1] ?? '', message: match[2] ?? '', trace: match[3] };
}

export interface Coordinator {
  url: string;
  app: HttpApp;
  lockService: LockService;
  /** Every log line so far, raw (without the newline). */
  readonly rawLines: string[];
  lines(): LogLine[];
  messages(): string[];
  close(): Promise<void>;
}

/** The coordinator in-process on a free port of 127.0.0.1, real timers and clock, logs captured. */
export async function startCoordinator(
  options: {
    secret?: string | undefined;
    defaultTtlMs?: number;
    eventBufferSize?: number;
    eventHeartbeatMs?: number;
    now?: () => number;
    /** Lock state in Redis / PostgreSQL (shared with other coordinators on the same namespace). */
    shared?: SharedStoreSettings;
  } = {},
): Promise<Coordinator> {
  const rawLines: string[] = [];
  const logger = createLogger({
    service: SERVICE,
    console: false,
    onLine: (line) => rawLines.push(line.trimEnd()),
  });
  const events = createLockEvents();
  const shared =
    options.shared === undefined
      ? undefined
      : await openSharedLockService({ settings: options.shared, events });
  const lockService =
    shared?.lockService ?? createPlatformLockService({ tokens: createMemoryTokenStore(), events });
  const app = await buildApp({
    logger,
    lockService,
    events,
    secret: options.secret,
    ...(options.defaultTtlMs === undefined ? {} : { defaultTtlMs: options.defaultTtlMs }),
    ...(options.eventBufferSize === undefined ? {} : { eventBufferSize: options.eventBufferSize }),
    ...(options.eventHeartbeatMs === undefined ? {} : { eventHeartbeatMs: options.eventHeartbeatMs }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(shared === undefined ? {} : { onClose: () => shared.close() }),
  });
  const server = await startOnFreePort(app);
  const lines = () => rawLines.map(parseLine);
  return {
    url: server.url,
    app,
    lockService,
    rawLines,
    lines,
    messages: () => lines().map((l) => l.message),
    close: async () => {
      await server.close();
      logger.close();
    },
  };
}

/** Polls until `check` holds (e.g. the server has seen a request), failing after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
