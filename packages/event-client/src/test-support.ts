/**
 * Helpers for tests of event streams (this package's and the services'): a subscriber that
 * records everything it sees and can be awaited.
 */
import type { SseMessage } from './sse-parser.js';
import { subscribeEvents, type SubscribeOptions, type Subscription } from './subscriber.js';

export interface Recorded {
  kind: 'event' | 'reset' | 'open' | 'error';
  message?: SseMessage;
  reconnected?: boolean;
  error?: Error;
}

export interface RecordingSubscriber {
  readonly subscription: Subscription;
  readonly log: Recorded[];
  /** Just the events (and resets), in arrival order. */
  messages: () => SseMessage[];
  /** Resolves once `check(log)` holds; rejects after `timeoutMs`. */
  until: (check: (log: Recorded[]) => boolean, what: string, timeoutMs?: number) => Promise<void>;
  close: () => Promise<void>;
}

export function recordEvents(
  options: Omit<SubscribeOptions, 'onEvent' | 'onReset' | 'onOpen' | 'onError'>,
): RecordingSubscriber {
  const log: Recorded[] = [];
  const waiters = new Set<() => void>();
  const push = (entry: Recorded) => {
    log.push(entry);
    for (const wake of [...waiters]) wake();
  };
  const subscription = subscribeEvents({
    ...options,
    onEvent: (message) => push({ kind: 'event', message }),
    onReset: (message) => push({ kind: 'reset', message }),
    onOpen: ({ reconnected }) => push({ kind: 'open', reconnected }),
    onError: (error) => push({ kind: 'error', error }),
  });
  return {
    subscription,
    log,
    messages: () =>
      log.filter((e) => e.kind === 'event' || e.kind === 'reset').map((e) => e.message as SseMessage),
    until(check, what, timeoutMs = 10_000) {
      return new Promise<void>((resolve, reject) => {
        const wake = () => {
          if (!check(log)) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`timed out waiting until ${what}; saw ${JSON.stringify(log.map(describe))}`));
        }, timeoutMs);
        waiters.add(wake);
        wake();
      });
    },
    close: () => subscription.close(),
  };
}

function describe(entry: Recorded): string {
  if (entry.kind === 'error') return `error: ${entry.error?.message ?? ''}`;
  if (entry.kind === 'open') return `open${entry.reconnected === true ? ' (reconnected)' : ''}`;
  return `${entry.kind} ${entry.message?.id ?? '-'} ${entry.message?.event ?? ''}`;
}
