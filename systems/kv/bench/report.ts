/** Turns one run's results into the stdout summary, kv.md and kv.json (pure functions). */
import {
  describeMachine,
  formatMs,
  formatNumber,
  formatRatio,
  helloWorldSource,
  markdownTable,
  ratio,
  round,
  runAtConcurrency,
  textTable,
  type ChartFile,
} from '@dslab/bench-kit';
import type { KvBenchResults, MeasuredRun, ProcessName } from './results.js';

export interface SummaryRow {
  target: string;
  client: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  failures: number | null;
  /** rps ÷ the hello-world baseline's rps at the same connections (same client). */
  vsHello: number | null;
  /** rps ÷ the http-kit hello-world's rps at the same connections (same client). */
  vsKit: number | null;
  /** rps ÷ redis-benchmark's raw GET rate. */
  vsRedisGet: number | null;
}

function failures(run: MeasuredRun): number {
  return run.non2xx + run.errors;
}

/** Every measured rate next to the baselines it is compared with. */
export function summaryRows(results: KvBenchResults): SummaryRow[] {
  const redisGet = results.redis.get.rps;
  const rows: SummaryRow[] = [
    {
      target: 'Redis GET (raw, redis-benchmark)',
      client: 'redis-benchmark',
      connections: results.settings.redisClients,
      rps: redisGet,
      p50: results.redis.get.latencyMs.p50,
      p99: results.redis.get.latencyMs.p99,
      failures: null,
      vsHello: null,
      vsKit: null,
      vsRedisGet: 1,
    },
    {
      target: 'Redis HMGET of a cache entry (raw)',
      client: 'redis-benchmark',
      connections: results.settings.redisClients,
      rps: results.redis.hmget.rps,
      p50: results.redis.hmget.latencyMs.p50,
      p99: results.redis.hmget.latencyMs.p99,
      failures: null,
      vsHello: null,
      vsKit: null,
      vsRedisGet: ratio(results.redis.hmget.rps, redisGet),
    },
  ];
  const http: [string, readonly MeasuredRun[]][] = [
    ['hello-world baseline', results.http.baseline],
    ['hello-world on http-kit', results.http.kitBaseline],
    ['GET /?key= (cache hit)', results.http.getHit],
    ['PUT / (distinct keys, 202 accepted)', results.http.put],
  ];
  for (const [target, runs] of http) {
    for (const run of runs) {
      rows.push({
        target,
        client: 'autocannon',
        connections: run.concurrency,
        rps: run.rps,
        p50: run.latency.p50,
        p99: run.latency.p99,
        failures: failures(run),
        vsHello: ratio(run.rps, runAtConcurrency(results.http.baseline, run.concurrency)?.rps),
        vsKit: ratio(run.rps, runAtConcurrency(results.http.kitBaseline, run.concurrency)?.rps),
        vsRedisGet: ratio(run.rps, redisGet),
      });
    }
  }
  rows.push({
    target: `consumer apply (1 consumer, prefetch ${results.apply.prefetch})`,
    client: 'queued backlog',
    connections: results.apply.prefetch,
    rps: results.apply.rate,
    p50: Number.NaN,
    p99: Number.NaN,
    failures: results.apply.messages - results.apply.applied,
    vsHello: null,
    vsKit: null,
    vsRedisGet: ratio(results.apply.rate, redisGet),
  });
  return rows;
}

function best(runs: readonly MeasuredRun[]): MeasuredRun | undefined {
  return runs.reduce<MeasuredRun | undefined>(
    (top, run) => (top === undefined || run.rps > top.rps ? run : top),
    undefined,
  );
}

/** The headline ratios (best connection count of each HTTP target). */
export function headline(results: KvBenchResults) {
  const get = best(results.http.getHit);
  const put = best(results.http.put);
  const hello = best(results.http.baseline);
  const kit = best(results.http.kitBaseline);
  return {
    kitVsHello: ratio(kit?.rps, hello?.rps),
    getVsKit: ratio(get?.rps, kit?.rps),
    getVsRedis: ratio(get?.rps, results.redis.get.rps),
    getVsHmget: ratio(get?.rps, results.redis.hmget.rps),
    getVsHello: ratio(get?.rps, hello?.rps),
    putVsHello: ratio(put?.rps, hello?.rps),
    applyVsPut: ratio(results.apply.rate, put?.rps),
    get,
    put,
    hello,
    kit,
  };
}

const HEADERS = [
  'target',
  'client',
  'conn.',
  'req/s',
  'p50 ms',
  'p99 ms',
  'failures',
  '÷ hello-world',
  '÷ http-kit hello',
  '÷ Redis GET',
];

function cells(row: SummaryRow): string[] {
  return [
    row.target,
    row.client,
    String(row.connections),
    formatNumber(row.rps),
    formatMs(row.p50),
    formatMs(row.p99),
    row.failures === null ? '—' : String(row.failures),
    formatRatio(row.vsHello),
    formatRatio(row.vsKit),
    formatRatio(row.vsRedisGet),
  ];
}

function headlineLines(results: KvBenchResults): string[] {
  const h = headline(results);
  return [
    `GET (cache hit) through the API: ${formatNumber(h.get?.rps)} req/s at ${String(h.get?.concurrency ?? '—')} connections = ${formatRatio(h.getVsRedis)} of redis-benchmark's raw GET (${formatNumber(results.redis.get.rps)}/s), ${formatRatio(h.getVsHmget)} of raw HMGET, ${formatRatio(h.getVsHello)} of the best hello-world run, ${formatRatio(h.getVsKit)} of hello-world on the platform's http-kit`,
    `PUT acceptance: ${formatNumber(h.put?.rps)} writes/s at ${String(h.put?.concurrency ?? '—')} connections (version from the sequence + confirmed publish) = ${formatRatio(h.putVsHello)} of the best hello-world run`,
    `Consumer apply rate: ${formatNumber(results.apply.rate)} writes/s (${String(results.apply.applied)} of ${String(results.apply.messages)} queued messages, one consumer) = ${formatRatio(h.applyVsPut)} of the PUT acceptance rate`,
  ];
}

export function renderTextReport(results: KvBenchResults): string {
  return [
    textTable(HEADERS, summaryRows(results).map(cells)),
    ...headlineLines(results).map((line) => `- ${line}`),
    '',
  ].join('\n');
}

interface CpuRow {
  target: string;
  run: MeasuredRun;
  serverCpu: number | undefined;
  microsPerRequest: number | undefined;
}

/** CPU of the server under test in each HTTP run, and per successful request. */
export function cpuRows(results: KvBenchResults): CpuRow[] {
  const targets: [string, readonly MeasuredRun[], ProcessName][] = [
    ['hello-world (bare Fastify)', results.http.baseline, 'baseline'],
    ['hello-world on http-kit', results.http.kitBaseline, 'kit-baseline'],
    ['GET cache hit', results.http.getHit, 'kv-api'],
    ['PUT', results.http.put, 'kv-api'],
  ];
  return targets.flatMap(([target, runs, server]) =>
    runs.map((run) => {
      const serverCpu = run.cpuPercent[server];
      return {
        target,
        run,
        serverCpu,
        microsPerRequest:
          serverCpu === undefined || run.rps <= 0 ? undefined : (serverCpu / 100) * (1e6 / run.rps),
      };
    }),
  );
}

function cpu(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(0)} %`;
}

export function renderMarkdown(results: KvBenchResults, charts: readonly ChartFile[]): string {
  const s = results.settings;
  const m = results.machine;
  const h = headline(results);
  const lines: string[] = [
    '# KV benchmarks',
    '',
    'Generated by `npm run bench:kv` (systems/kv/bench/). Two baselines are measured in the same run on the same machine: ' +
      "Redis's own `redis-benchmark` (the raw engine a cache hit ends in) and a hello-world Fastify server " +
      `(\`${helloWorldSource()}\`, same Node, same \`--import tsx\` loader, its own process). ` +
      'kv-api and kv-consumer run as their real entry points (`src/main.ts`) in child processes against ' +
      'real PostgreSQL, Redis and RabbitMQ. Raw numbers: [kv.json](kv.json).',
    '',
    `- **Machine:** ${describeMachine(m)}`,
    `- **Run:** ${s.quick ? 'quick (smoke) run, ' : ''}${String(s.durationS)} s per autocannon run after ${String(s.warmupS)} s of warm-up per target; connections ${s.connections.join(', ')}; redis-benchmark -n ${String(s.redisRequests)} -c ${String(s.redisClients)}; ${String(s.messages)} messages for the apply rate; ${String(s.valueBytes)}-byte values; total ${results.totalSeconds.toFixed(0)} s`,
    `- **Engines:** PostgreSQL ${s.engines.postgres}, Redis ${s.engines.redis}, RabbitMQ ${s.engines.amqp}${s.defaults.length === 0 ? '' : ` (development defaults: ${s.defaults.join(', ')} unset)`}`,
    ...s.notes.map((note) => `- ${note}`),
    '',
    '## Summary',
    '',
    ...headlineLines(results).map((line) => `- ${line}`),
    '',
    markdownTable(HEADERS, summaryRows(results).map(cells)),
    'HTTP rows are compared with the hello-world server at the same number of connections (same client, autocannon, keep-alive, one request in flight per connection). Every rate is also given against redis-benchmark\'s raw GET. The apply row counts writes committed per second; its "connections" column is the prefetch (messages in flight).',
    '',
  ];
  for (const chart of charts) {
    lines.push(`![${chart.name}](${chart.png})`, '', `(SVG: [${chart.svg}](${chart.svg}))`, '');
  }
  lines.push(
    '## What each figure measures',
    '',
    `- **Redis GET (raw):** \`${results.redis.get.command}\`. One small string GET per request (no pipelining) from redis-benchmark's C client: the ceiling of any cache hit on this machine.`,
    `- **Redis HMGET (raw):** \`${results.redis.hmget.command}\`: the single round trip the API's cache hit does (a hash with fields v, d, val, t).`,
    '- **GET /?key= (cache hit):** one key written through the API and read once (so the entry is in Redis); then autocannon asks for it over and over. Before the run the answer was checked to come from Redis (`source: "redis"`). A hit costs the HTTP kit\'s per-request work (compare the http-kit hello-world row), query validation, one HMGET round trip and the JSON answer; kv-api logs nothing per request at LOG_LEVEL=warn.',
    '- **PUT / (distinct keys):** every request writes a new key (`{"key_name", "key_value"}`), with the consumer stopped, so this is the acceptance path alone: validation, `nextval(\'kv_version_seq\')` in PostgreSQL, a persistent publish to `add_key` and the wait for RabbitMQ\'s publisher confirm, then 202. The queued messages are deleted with the queues at the end of the run.',
    `- **Consumer apply:** ${String(results.apply.messages)} PUTs of distinct keys were queued with no consumer running (queue depth before start: ${String(results.apply.queuedBefore)}); then one kv-consumer process started. Rate = (rows − 1) ÷ the span between the first and the last \`applied_at\` in PostgreSQL, so the consumer's start-up is excluded; from spawn to the last row took ${results.apply.wallSeconds.toFixed(2)} s including start-up. Each message is a LWW upsert, a read of the winning row, a versioned Redis write (Lua) and an ack. Consumer CPU during the drain: ${cpu(results.apply.consumerCpuPercent)}.`,
    '',
    '## CPU during the HTTP runs',
    '',
    markdownTable(
      ['target', 'conn.', 'req/s', 'server CPU', 'server CPU per request', 'load generator CPU'],
      cpuRows(results).map((row) => [
        row.target,
        String(row.run.concurrency),
        formatNumber(row.run.rps),
        cpu(row.serverCpu),
        row.microsPerRequest === undefined ? '—' : `${row.microsPerRequest.toFixed(0)} µs`,
        cpu(row.run.benchCpuPercent),
      ]),
    ),
    'CPU is percent of one core (this machine has ' +
      String(m.cores) +
      ' cores; the load generator, the server under test, Redis, PostgreSQL and RabbitMQ all share them). ' +
      "CPU per request = the server process's CPU time over the run ÷ its successful requests.",
    '',
    '## Reading the numbers',
    '',
    `- A cache hit through the API reaches ${formatRatio(h.getVsRedis)} of the raw Redis GET rate. Step by step: an empty handler on bare Fastify already runs at ${formatRatio(ratio(h.hello?.rps, results.redis.get.rps))} of raw Redis (Node's HTTP stack); the platform's http-kit (trace id and request logger, security headers, Prometheus metrics) brings hello-world to ${formatRatio(h.kitVsHello)} of bare Fastify; the KV's own work (query validation, one HMGET round trip to Redis, the JSON answer) brings it to ${formatRatio(h.getVsKit)} of the http-kit hello-world.`,
    `- Accepting a write is bounded by two synchronous round trips to durable engines (the sequence in PostgreSQL, the confirmed publish in RabbitMQ); it runs at ${formatRatio(h.putVsHello)} of hello-world.`,
    `- One consumer applies ${formatNumber(results.apply.rate)} writes/s, ${formatRatio(h.applyVsPut)} of the acceptance rate: ${h.applyVsPut !== null && h.applyVsPut < 1 ? 'under sustained PUT load at full speed the backlog grows, and more consumers (competing on the same queue; `npm run kv -- --consumers N`) or batching would be needed' : 'one consumer keeps up with the API at full speed'}.`,
    '',
  );
  return `${lines.join('\n')}\n`;
}

function roundRun(run: MeasuredRun) {
  return {
    ...run,
    rps: round(run.rps),
    durationS: round(run.durationS),
    benchCpuPercent: round(run.benchCpuPercent, 3),
    cpuPercent: Object.fromEntries(Object.entries(run.cpuPercent).map(([k, v]) => [k, round(v, 3)])),
    latency: Object.fromEntries(Object.entries(run.latency).map(([k, v]: [string, number]) => [k, round(v)])),
  };
}

/** kv.json: the results with readable precision and the headline ratios. */
export function toJson(results: KvBenchResults): unknown {
  const h = headline(results);
  return {
    ...results,
    http: {
      baseline: results.http.baseline.map(roundRun),
      kitBaseline: results.http.kitBaseline.map(roundRun),
      getHit: results.http.getHit.map(roundRun),
      put: results.http.put.map(roundRun),
    },
    apply: {
      ...results.apply,
      rate: round(results.apply.rate),
      applySeconds: round(results.apply.applySeconds),
      wallSeconds: round(results.apply.wallSeconds),
      consumerCpuPercent: round(results.apply.consumerCpuPercent, 3),
    },
    ratios: {
      getHitVsRedisGet: round(h.getVsRedis, 3),
      getHitVsRedisHmget: round(h.getVsHmget, 3),
      getHitVsHelloWorld: round(h.getVsHello, 3),
      getHitVsHttpKitHelloWorld: round(h.getVsKit, 3),
      httpKitVsHelloWorld: round(h.kitVsHello, 3),
      putVsHelloWorld: round(h.putVsHello, 3),
      applyVsPut: round(h.applyVsPut, 3),
    },
    totalSeconds: round(results.totalSeconds),
  };
}
