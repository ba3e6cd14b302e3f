/**
 * The chaos run's clients: scientists who keep booking, cancelling and rebooking a small set
 * of hot slots as fast as they can, each over its own keep-alive connection to the balanced
 * address, and who write down every answer they get. What they were told (201s and 200s) is
 * what the checker later holds the database to.
 */
import { Client } from 'undici';

export type Outcome = number | 'error';

export interface ClientRecord {
  readonly client: number;
  readonly action: 'book' | 'cancel';
  /** For bookings: the first slot asked for; for cancels: the booking id. */
  readonly target: string;
  readonly outcome: Outcome;
  /** Set on a 201 (booking) or 200 (cancel). */
  readonly bookingId?: number;
  readonly telescopeId?: string;
  readonly startUtc?: string;
  readonly error?: string;
  readonly startedMs: number;
  readonly endedMs: number;
}

export interface WorkloadOptions {
  readonly url: string;
  /** One access token per client. */
  readonly tokens: readonly string[];
  readonly telescopeId: string;
  /** Slot starts (ISO, on the grid) the clients fight over. */
  readonly slots: readonly string[];
  readonly random: () => number;
  /** Answers slower than this count as errors (a stopped process holds them). */
  readonly requestTimeoutMs: number;
  readonly signal: AbortSignal;
}

/** How long a client keeps one keep-alive connection before opening a new one. */
const RECONNECT_EVERY_MS = 2000;

interface BookingAnswer {
  id?: number;
  telescopio_id?: string;
  horario_inicio_utc?: string;
}

/** Runs every client until `signal` aborts, then returns every answer in order of completion. */
export async function runWorkload(options: WorkloadOptions): Promise<ClientRecord[]> {
  const records: ClientRecord[] = [];
  const started = performance.now();
  const clock = () => Math.round(performance.now() - started);

  async function runClient(index: number, token: string): Promise<void> {
    const open = () =>
      new Client(options.url, {
        headersTimeout: options.requestTimeoutMs,
        bodyTimeout: options.requestTimeoutMs,
        keepAliveTimeout: 30_000,
      });
    let connection = open();
    let openedAt = performance.now();
    const mine: number[] = [];
    const send = async (path: string, body: unknown) => {
      const response = await connection.request({
        path,
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.body.text();
      return { status: response.statusCode, body: parse(text) };
    };
    try {
      while (!options.signal.aborted) {
        // A fresh connection now and then: the balancer spreads connections when they open, so
        // without this every client would stay on the scheduler it fled to when the other died.
        if (performance.now() - openedAt > RECONNECT_EVERY_MS) {
          await connection.close().catch(() => undefined);
          connection = open();
          openedAt = performance.now();
        }
        const cancel = mine.length > 0 && options.random() < 0.35;
        const startedMs = clock();
        if (cancel) {
          const pick = Math.floor(options.random() * mine.length);
          const id = mine.splice(pick, 1)[0] ?? 0;
          try {
            const answer = await send(`/agendamentos/${id}/cancelamento`, {});
            records.push({
              client: index,
              action: 'cancel',
              target: String(id),
              outcome: answer.status,
              ...(answer.status === 200 ? { bookingId: id } : {}),
              startedMs,
              endedMs: clock(),
            });
          } catch (error) {
            records.push(failure(index, 'cancel', String(id), error, startedMs, clock()));
          }
          continue;
        }
        const first = Math.floor(options.random() * options.slots.length);
        const length = options.random() < 0.25 && first + 1 < options.slots.length ? 2 : 1;
        const start = options.slots[first] ?? '';
        const end = new Date(Date.parse(start) + length * 300_000).toISOString().replace('.000Z', 'Z');
        try {
          const answer = await send('/agendamentos', {
            telescopio_id: options.telescopeId,
            horario_inicio_utc: start,
            horario_fim_utc: end,
          });
          const booked = answer.status === 201 ? (answer.body as BookingAnswer) : undefined;
          if (booked?.id !== undefined) mine.push(booked.id);
          records.push({
            client: index,
            action: 'book',
            target: start,
            outcome: answer.status,
            ...(booked?.id === undefined
              ? {}
              : {
                  bookingId: booked.id,
                  telescopeId: booked.telescopio_id ?? '',
                  startUtc: booked.horario_inicio_utc ?? '',
                }),
            startedMs,
            endedMs: clock(),
          });
        } catch (error) {
          records.push(failure(index, 'book', start, error, startedMs, clock()));
        }
      }
    } finally {
      await connection.close().catch(() => undefined);
    }
  }

  await Promise.all(options.tokens.map((token, index) => runClient(index, token)));
  return records;
}

function failure(
  client: number,
  action: 'book' | 'cancel',
  target: string,
  error: unknown,
  startedMs: number,
  endedMs: number,
): ClientRecord {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { client, action, target, outcome: 'error', error: message, startedMs, endedMs };
}

function parse(text: string): unknown {
  try {
    return text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}
