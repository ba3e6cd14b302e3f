import { Client, Pool, request } from 'undici';
import {
  runClosedLoop,
  summarize,
  type AutocannonRequest,
  type LatencySummary,
  type LoadResult,
} from '@dslab/bench-kit';
import type { SlotAllocator } from './options.js';

export const TELESCOPE = 'Hubble-Acad';

async function json(
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await request(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    body: text.length > 0 ? (JSON.parse(text) as unknown) : undefined,
    text,
  };
}

/**
 * Registers `count` scientists and logs each one in; returns their access tokens. A few at a
 * time: every registration and login runs scrypt on the scheduler.
 */
export async function registerScientists(
  schedulerUrl: string,
  count: number,
  prefix: string,
): Promise<string[]> {
  const tokens: string[] = [];
  const batch = 8;
  for (let start = 0; start < count; start += batch) {
    const ids = Array.from({ length: Math.min(batch, count - start) }, (_, k) => start + k + 1);
    const batchTokens = await Promise.all(
      ids.map(async (n) => {
        const email = `${prefix}-${n}@bench.example`;
        const senha = 'senha-de-bench-123';
        const created = await json('POST', `${schedulerUrl}/cientistas`, {
          nome: `Bench ${n}`,
          email,
          senha,
        });
        if (created.status !== 201) throw new Error(`register ${email}: ${created.status} ${created.text}`);
        const token = await json('POST', `${schedulerUrl}/auth/token`, { email, senha });
        const body = token.body as { access_token?: unknown } | undefined;
        if (token.status !== 200 || typeof body?.access_token !== 'string')
          throw new Error(`login ${email}: ${token.status} ${token.text}`);
        return body.access_token;
      }),
    );
    tokens.push(...batchTokens);
  }
  return tokens;
}

/**
 * autocannon request list for distinct-slot bookings: every request built takes the next
 * unused slot from `slots` and the next token (round robin), so no two requests share a slot.
 */
export function distinctBookingRequests(
  slots: SlotAllocator,
  tokens: readonly string[],
): AutocannonRequest[] {
  let n = 0;
  return [
    {
      method: 'POST',
      path: '/agendamentos',
      setupRequest: (req) => {
        const token = tokens[n++ % tokens.length] ?? '';
        return {
          ...req,
          method: 'POST',
          path: '/agendamentos',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ telescopio_id: TELESCOPE, horario_inicio_utc: slots.next() }),
        };
      },
    },
  ];
}

export interface HotSlotRound {
  slot: string;
  /** Time from the first request sent until the last contender had its answer (ms). */
  allDecidedMs: number;
  won: number;
  /** 409 because the coordinator refused the lock (someone held it at that moment). */
  lostAtLock: number;
  /** 409 because the booking was already in the database (the winner had finished). */
  lostAtDatabase: number;
  other: Record<string, number>;
}

export interface HotSlotResult {
  contenders: number;
  rounds: HotSlotRound[];
  /** Every contender's decision time over all rounds (ms). */
  decision: LatencySummary;
  decisionTimesMs: number[];
  /** Every round had exactly one 201 and only 409 otherwise. */
  exactlyOneWinnerEachRound: boolean;
}

/**
 * `contenders` clients, each on its own pre-warmed keep-alive connection, POST the same slot at
 * once; the decision time of each is from the moment the burst started until its answer
 * (201 or 409) was read. Repeated for `rounds` new slots.
 */
export async function runHotSlot(options: {
  schedulerUrl: string;
  tokens: readonly string[];
  contenders: number;
  rounds: number;
  slots: SlotAllocator;
}): Promise<HotSlotResult> {
  const clients = Array.from(
    { length: options.contenders },
    () => new Client(options.schedulerUrl, { pipelining: 1, keepAliveTimeout: 60_000 }),
  );
  try {
    // Open and warm every connection before the first round.
    await Promise.all(
      clients.map(async (client) => {
        const response = await client.request({ path: '/time', method: 'GET' });
        await response.body.dump();
      }),
    );
    const rounds: HotSlotRound[] = [];
    const decisionTimesMs: number[] = [];
    for (let r = 0; r < options.rounds; r++) {
      const slot = options.slots.next();
      const bodies = clients.map(() =>
        JSON.stringify({ telescopio_id: TELESCOPE, horario_inicio_utc: slot }),
      );
      const started = performance.now();
      const answers = await Promise.all(
        clients.map(async (client, i) => {
          const token = options.tokens[i % options.tokens.length] ?? '';
          const response = await client.request({
            path: '/agendamentos',
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: bodies[i] ?? '',
          });
          const text = await response.body.text();
          return { status: response.statusCode, text, decidedMs: performance.now() - started };
        }),
      );
      const round: HotSlotRound = {
        slot,
        allDecidedMs: 0,
        won: 0,
        lostAtLock: 0,
        lostAtDatabase: 0,
        other: {},
      };
      for (const answer of answers) {
        decisionTimesMs.push(answer.decidedMs);
        round.allDecidedMs = Math.max(round.allDecidedMs, answer.decidedMs);
        if (answer.status === 201) round.won += 1;
        else if (answer.status === 409) {
          const problem = JSON.parse(answer.text) as { code?: string; recurso?: string; recursos?: string[] };
          if (problem.code === 'slot-taken' && problem.recursos !== undefined) round.lostAtDatabase += 1;
          else if (problem.code === 'slot-taken') round.lostAtLock += 1;
          else
            round.other[`409 ${problem.code ?? '?'}`] = (round.other[`409 ${problem.code ?? '?'}`] ?? 0) + 1;
        } else round.other[String(answer.status)] = (round.other[String(answer.status)] ?? 0) + 1;
      }
      rounds.push(round);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return {
      contenders: options.contenders,
      rounds,
      decision: summarize(decisionTimesMs),
      decisionTimesMs,
      exactlyOneWinnerEachRound: rounds.every(
        (round) => round.won === 1 && Object.keys(round.other).length === 0,
      ),
    };
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

/**
 * Lock+unlock pairs straight against the coordinator over an undici keep-alive Pool (one
 * connection per worker), each pair on a resource of its own. One "operation" is a pair.
 */
export async function runLockPairs(options: {
  coordinatorUrl: string;
  /** COORDINATOR_SECRET, sent as a Bearer token. */
  secret: string;
  concurrency: number;
  durationS: number;
  runId: string;
}): Promise<LoadResult> {
  const pool = new Pool(options.coordinatorUrl, {
    connections: options.concurrency,
    pipelining: 1,
    keepAliveTimeout: 60_000,
  });
  const post = async (path: string, body: object) => {
    const response = await pool.request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.secret}` },
      body: JSON.stringify(body),
    });
    const text = await response.body.text();
    return { status: response.statusCode, text };
  };
  try {
    return await runClosedLoop({
      concurrency: options.concurrency,
      durationS: options.durationS,
      operation: async (worker, iteration) => {
        const recurso = `bench-${options.runId}-c${options.concurrency}-w${worker}-${iteration}`;
        const locked = await post('/lock', { recurso, ttl_ms: 10_000 });
        if (locked.status !== 200) return locked.status;
        const { token } = JSON.parse(locked.text) as { token: number };
        const unlocked = await post('/unlock', { recurso, token });
        return unlocked.status;
      },
    });
  } finally {
    await pool.close();
  }
}

/** The same closed loop and client (undici Pool) against the hello-world server: GET /. */
export async function runBaselineLoop(options: {
  url: string;
  concurrency: number;
  durationS: number;
}): Promise<LoadResult> {
  const pool = new Pool(options.url, {
    connections: options.concurrency,
    pipelining: 1,
    keepAliveTimeout: 60_000,
  });
  try {
    return await runClosedLoop({
      concurrency: options.concurrency,
      durationS: options.durationS,
      operation: async () => {
        const response = await pool.request({ path: '/', method: 'GET' });
        await response.body.dump();
        return response.statusCode;
      },
    });
  } finally {
    await pool.close();
  }
}

/** Request counts by route of a service's Prometheus histogram http_request_duration_seconds. */
export function requestCountsByRoute(metricsText: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const line = /^http_request_duration_seconds_count\{([^}]*)\}\s+([0-9.eE+-]+)$/gm;
  for (const match of metricsText.matchAll(line)) {
    const labels = match[1] ?? '';
    const method = /method="([^"]*)"/.exec(labels)?.[1] ?? '?';
    const route = /route="([^"]*)"/.exec(labels)?.[1] ?? '?';
    const key = `${method} ${route}`;
    counts[key] = (counts[key] ?? 0) + Number(match[2]);
  }
  return counts;
}

export async function fetchRequestCounts(serviceUrl: string): Promise<Record<string, number>> {
  const response = await request(`${serviceUrl}/metrics`);
  return requestCountsByRoute(await response.body.text());
}

export function countsDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const d = value - (before[key] ?? 0);
    if (d > 0) delta[key] = d;
  }
  return delta;
}
