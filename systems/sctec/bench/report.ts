/** Turns one run's results into the stdout table, sctec.md and sctec.json (pure functions). */
import {
  describeMachine,
  formatMiB,
  formatMs,
  formatNumber,
  formatRatio,
  helloWorldSource,
  markdownTable,
  median,
  ratio,
  round,
  runAtConcurrency,
  textTable,
  type ChartFile,
} from '@dslab/bench-kit';
import type { BenchResults, MeasuredRun, ServiceName } from './results.js';
import { SERVICES } from './results.js';

export interface RatioRow {
  target: string;
  concurrency: number;
  rps: number;
  p50: number;
  p99: number;
  failures: number;
  /** rps / the baseline's rps at the same concurrency (same client). */
  rpsRatio: number | null;
  p50Ratio: number | null;
  p99Ratio: number | null;
}

/** Every throughput figure next to the baseline measured with the same client at the same concurrency. */
export function ratioRows(results: BenchResults): RatioRow[] {
  const rows: RatioRow[] = [];
  const add = (target: string, runs: readonly MeasuredRun[], baseline: readonly MeasuredRun[]) => {
    for (const run of runs) {
      const base = runAtConcurrency(baseline, run.concurrency);
      rows.push({
        target,
        concurrency: run.concurrency,
        rps: run.rps,
        p50: run.latency.p50,
        p99: run.latency.p99,
        failures: run.non2xx + run.errors,
        rpsRatio: ratio(run.rps, base?.rps),
        p50Ratio: ratio(run.latency.p50, base?.latency.p50),
        p99Ratio: ratio(run.latency.p99, base?.latency.p99),
      });
    }
  };
  add('hello-world baseline (autocannon)', results.http.baseline, results.http.baseline);
  add('POST /agendamentos, distinct slots', results.http.bookings, results.http.baseline);
  add('GET /time', results.http.time, results.http.baseline);
  add('hello-world baseline (undici loop)', results.loops.baseline, results.loops.baseline);
  add('coordinator lock+unlock pairs', results.loops.lockPairs, results.loops.baseline);
  return rows;
}

/** CPU time a process spent per successful request in a run, in µs (undefined without a reading). */
export function cpuMicrosPerRequest(run: MeasuredRun, service: ServiceName): number | undefined {
  const cpu = run.usage[service]?.cpuPercent;
  if (cpu === undefined || !(run.rps > 0)) return undefined;
  return ((cpu / 100) * 1e6) / run.rps;
}

export interface CpuCostRow {
  target: string;
  concurrency: number;
  /** µs of CPU per request (per pair for lock+unlock) in the service(s) doing the work. */
  schedulerUs: number | undefined;
  coordinatorUs: number | undefined;
  totalUs: number | undefined;
  /** The hello-world server's µs per request at the same concurrency and client. */
  baselineUs: number | undefined;
  ratio: number | null;
}

/**
 * CPU cost per request from /proc CPU time and the request count: unlike req/s, it does not
 * depend much on how many cores other work leaves free, so it compares better across runs.
 */
export function cpuCostRows(results: BenchResults): CpuCostRow[] {
  const rows: CpuCostRow[] = [];
  const add = (target: string, runs: readonly MeasuredRun[], baseline: readonly MeasuredRun[]) => {
    for (const run of runs) {
      const schedulerUs = cpuMicrosPerRequest(run, 'servico-agendamento');
      const coordinatorUs = cpuMicrosPerRequest(run, 'servico-coordenador');
      const base = runAtConcurrency(baseline, run.concurrency);
      const baselineUs = base === undefined ? undefined : cpuMicrosPerRequest(base, 'baseline');
      const totalUs =
        schedulerUs === undefined && coordinatorUs === undefined
          ? undefined
          : (schedulerUs ?? 0) + (coordinatorUs ?? 0);
      rows.push({
        target,
        concurrency: run.concurrency,
        schedulerUs,
        coordinatorUs,
        totalUs,
        baselineUs,
        ratio: ratio(totalUs, baselineUs),
      });
    }
  };
  add('POST /agendamentos (distinct slots)', results.http.bookings, results.http.baseline);
  add('GET /time', results.http.time, results.http.baseline);
  add('lock+unlock pair (coordinator only)', results.loops.lockPairs, results.loops.baseline);
  return rows.map((row) =>
    row.target.startsWith('GET /time') || row.target.startsWith('lock')
      ? {
          ...row,
          // Only the service that answers counts here (the idle one's CPU is background noise).
          totalUs: row.target.startsWith('GET') ? row.schedulerUs : row.coordinatorUs,
          ratio: ratio(row.target.startsWith('GET') ? row.schedulerUs : row.coordinatorUs, row.baselineUs),
        }
      : row,
  );
}

/** The hot slot next to the baseline at the highest measured concurrency. */
export function hotSlotRatios(results: BenchResults) {
  const top = Math.max(...results.http.baseline.map((r) => r.concurrency));
  const base = runAtConcurrency(results.http.baseline, top);
  const hot = results.hotSlot;
  const burstRate =
    hot.rounds.length === 0
      ? Number.NaN
      : median(hot.rounds.map((r) => (1000 * hot.contenders) / r.allDecidedMs));
  return {
    baselineConcurrency: top,
    /** Decisions per second within a burst (contenders / time until all decided), median over rounds. */
    decisionsPerSecond: burstRate,
    decisionsPerSecondRatio: ratio(burstRate, base?.rps),
    p50Ratio: ratio(hot.decision.p50, base?.latency.p50),
    p99Ratio: ratio(hot.decision.p99, base?.latency.p99),
  };
}

interface MemoryRow {
  service: ServiceName;
  idle: number | undefined;
  /** Highest RSS in any scenario and the scenario it was seen in. */
  max: number | undefined;
  scenario: string;
}

export function memoryRows(results: BenchResults): MemoryRow[] {
  const scenarios: [string, MeasuredRun['usage']][] = [
    ...results.http.baseline.map((r): [string, MeasuredRun['usage']] => [
      `baseline c=${r.concurrency}`,
      r.usage,
    ]),
    ...results.http.bookings.map((r): [string, MeasuredRun['usage']] => [
      `bookings c=${r.concurrency}`,
      r.usage,
    ]),
    ...results.http.time.map((r): [string, MeasuredRun['usage']] => [
      `GET /time c=${r.concurrency}`,
      r.usage,
    ]),
    ...results.loops.lockPairs.map((r): [string, MeasuredRun['usage']] => [
      `lock pairs c=${r.concurrency}`,
      r.usage,
    ]),
    [`hot slot ×${results.hotSlot.contenders}`, results.hotSlot.usage],
  ];
  return SERVICES.map((service) => {
    let max: number | undefined;
    let scenario = '';
    for (const [name, usage] of scenarios) {
      const value = usage[service]?.maxRssBytes;
      if (value !== undefined && (max === undefined || value > max)) {
        max = value;
        scenario = name;
      }
    }
    return { service, idle: results.idleRssBytes[service], max, scenario };
  });
}

/** Highest RSS of each process in each scenario, in MiB (the memory chart's data). */
export function memoryRowsByScenario(
  results: BenchResults,
): { scenario: string; service: string; mib: number }[] {
  const scenarios: [string, MeasuredRun['usage']][] = [
    ...results.http.baseline.map((r): [string, MeasuredRun['usage']] => [
      `baseline c=${r.concurrency}`,
      r.usage,
    ]),
    ...results.http.bookings.map((r): [string, MeasuredRun['usage']] => [
      `bookings c=${r.concurrency}`,
      r.usage,
    ]),
    ...results.http.time.map((r): [string, MeasuredRun['usage']] => [
      `GET /time c=${r.concurrency}`,
      r.usage,
    ]),
    ...results.loops.lockPairs.map((r): [string, MeasuredRun['usage']] => [
      `lock pairs c=${r.concurrency}`,
      r.usage,
    ]),
    [`hot slot ×${results.hotSlot.contenders}`, results.hotSlot.usage],
  ];
  const rows: { scenario: string; service: string; mib: number }[] = [];
  for (const service of SERVICES) {
    const idle = results.idleRssBytes[service];
    if (idle !== undefined) rows.push({ scenario: 'idle', service, mib: idle / 2 ** 20 });
  }
  for (const [scenario, usage] of scenarios)
    for (const service of SERVICES) {
      const max = usage[service]?.maxRssBytes;
      if (max !== undefined) rows.push({ scenario, service, mib: max / 2 ** 20 });
    }
  return rows;
}

function cpuCell(run: MeasuredRun, service: ServiceName): string {
  const cpu = run.usage[service]?.cpuPercent;
  return cpu === undefined ? '—' : `${cpu.toFixed(0)} %`;
}

function settingsLine(results: BenchResults): string {
  const s = results.settings;
  return `engine ${s.engine}, LOG_LEVEL=${s.logLevel}, ${s.durationS} s per autocannon run, ${s.loopDurationS} s per closed loop, ${s.warmupS} s warm-up per target${s.quick ? ' (--quick)' : ''}`;
}

export function renderTextReport(results: BenchResults): string {
  const out: string[] = [];
  out.push(`\nSCTEC benchmark — ${describeMachine(results.machine)}\n${settingsLine(results)}\n`);
  out.push(
    textTable(
      ['target', 'conc', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'req/s ÷ base', 'p50 ÷ base', 'p99 ÷ base'],
      ratioRows(results).map((r) => [
        r.target,
        String(r.concurrency),
        formatNumber(r.rps),
        formatMs(r.p50),
        formatMs(r.p99),
        String(r.failures),
        formatRatio(r.rpsRatio),
        formatRatio(r.p50Ratio),
        formatRatio(r.p99Ratio),
      ]),
    ),
  );
  out.push('\nCPU per request (µs)\n');
  out.push(
    textTable(
      ['request', 'conc', 'scheduler', 'coordinator', 'total', 'baseline', 'total ÷ base'],
      cpuCostRows(results).map((r) => [
        r.target,
        String(r.concurrency),
        formatNumber(r.schedulerUs),
        formatNumber(r.coordinatorUs),
        formatNumber(r.totalUs),
        formatNumber(r.baselineUs),
        formatRatio(r.ratio),
      ]),
    ),
  );
  const hot = results.hotSlot;
  const hr = hotSlotRatios(results);
  out.push(
    `\nHot slot: ${hot.rounds.length} rounds × ${hot.contenders} contenders; decision time p50 ${formatMs(hot.decision.p50)} ms, p99 ${formatMs(hot.decision.p99)} ms, max ${formatMs(hot.decision.max)} ms; ` +
      `exactly one 201 per round: ${hot.exactlyOneWinnerEachRound ? 'yes' : 'NO'}; ${formatNumber(hr.decisionsPerSecond)} decisions/s in a burst (${formatRatio(hr.decisionsPerSecondRatio)} of baseline c=${hr.baselineConcurrency})\n`,
  );
  out.push('\nMemory (RSS)\n');
  out.push(
    textTable(
      ['service', 'idle', 'max under load', 'seen in'],
      memoryRows(results).map((m) => [m.service, formatMiB(m.idle), formatMiB(m.max), m.scenario]),
    ),
  );
  const c = results.connections;
  out.push(
    `\nScheduler → coordinator: ${formatNumber(totalRequests(c.coordinatorRequests))} requests for ${formatNumber(c.bookings)} bookings over ${c.distinctConnections} distinct connections (at most ${c.maxOpenConnections} open at once)\n`,
  );
  if (results.profile !== undefined) {
    const p = results.profile;
    out.push(
      `\nScheduler profile (c=${p.concurrency}, ${formatNumber(p.run.rps)} bookings/s, busy ${p.summary.busyPercent.toFixed(0)} %): top self time\n`,
    );
    out.push(
      textTable(
        ['function', 'area', 'self %'],
        p.summary.topFunctions.slice(0, 12).map((f) => [f.functionName, f.area, f.selfPercent.toFixed(1)]),
      ),
    );
  }
  return `${out.join('')}\n`;
}

/** The coordinator requests the scheduler made (the benchmark's own GET /metrics reads left out). */
export function bookingTraffic(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([key]) => !key.endsWith(' /metrics')));
}

function totalRequests(counts: Record<string, number>): number {
  return Object.values(bookingTraffic(counts)).reduce((a, b) => a + b, 0);
}

export function renderMarkdown(results: BenchResults, charts: readonly ChartFile[], finding: string): string {
  const s = results.settings;
  const rows = ratioRows(results);
  const md: string[] = [];
  md.push('# SCTEC benchmarks\n');
  md.push(
    `Generated by \`npm run bench:sctec${s.quick ? ' -- --quick' : ''}\` (systems/sctec/bench/). Every figure was measured in the same run as a hello-world Fastify server (\`${helloWorldSource()}\`, same Node, same \`--import tsx\` loader, its own process) on the same machine, and is given as a ratio to it. Raw numbers: [sctec.json](sctec.json).\n`,
  );
  md.push(`- **Machine:** ${describeMachine(results.machine)}`);
  md.push(
    `- **Run:** ${settingsLine(results)}; ${s.contenders} hot-slot contenders × ${s.rounds} rounds; total ${results.totalSeconds.toFixed(0)} s`,
  );
  for (const note of s.notes) md.push(`- ${note}`);
  md.push(
    '- Load comes from this same machine (autocannon and undici in the benchmark process), so client, services and baseline share its cores; the CPU columns show how much each took.\n',
  );

  md.push('## Summary\n');
  md.push(
    markdownTable(
      [
        'target',
        'connections',
        'req/s',
        'p50 ms',
        'p99 ms',
        'non-2xx + errors',
        'req/s ÷ baseline',
        'p50 ÷ baseline',
        'p99 ÷ baseline',
      ],
      rows.map((r) => [
        r.target,
        String(r.concurrency),
        formatNumber(r.rps),
        formatMs(r.p50),
        formatMs(r.p99),
        String(r.failures),
        formatRatio(r.rpsRatio),
        formatRatio(r.p50Ratio),
        formatRatio(r.p99Ratio),
      ]),
    ),
  );
  md.push(
    'autocannon rows are compared with the autocannon baseline, undici-loop rows with the undici-loop baseline (the same client at the same concurrency). A lock+unlock pair is two coordinator requests; its req/s column counts pairs.\n',
  );
  const chart = (name: string) => charts.find((c) => c.name === name);
  const embed = (name: string, alt: string) => {
    const c = chart(name);
    return c === undefined ? '' : `![${alt}](${c.png})\n\n(SVG: [${c.svg}](${c.svg}))\n`;
  };

  md.push('## Bookings of distinct slots\n');
  md.push(
    `Each request books a slot no other request uses (one 5-minute slot of Hubble-Acad, walking forward from one hour ahead), with a valid JWT of one of ${Math.min(4, s.scientists)} pre-registered scientists, over keep-alive connections. Every answer must be 201; anything else is counted as a failure.\n`,
  );
  md.push(
    markdownTable(
      [
        'connections',
        'bookings/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'non-2xx',
        'errors',
        'scheduler CPU',
        'coordinator CPU',
        'load generator CPU',
      ],
      results.http.bookings.map((r) => [
        String(r.concurrency),
        formatNumber(r.rps),
        formatMs(r.latency.p50),
        formatMs(r.latency.p90),
        formatMs(r.latency.p99),
        formatMs(r.latency.max),
        String(r.non2xx),
        String(r.errors),
        cpuCell(r, 'servico-agendamento'),
        cpuCell(r, 'servico-coordenador'),
        `${r.benchCpuPercent.toFixed(0)} %`,
      ]),
    ),
  );
  md.push(
    embed(
      'throughput',
      'Requests per second by concurrency: bookings and GET /time against the hello-world baseline',
    ),
  );
  md.push(embed('latency', 'Latency p50 and p99 by concurrency'));

  md.push('## Hot slot\n');
  const hot = results.hotSlot;
  const hr = hotSlotRatios(results);
  md.push(
    `${hot.contenders} contenders, each on its own pre-warmed keep-alive connection (${s.scientists} scientists; contender i books as scientist i mod ${s.scientists}), POST the same slot at once. Decision time = from the start of the burst until that contender has its 201 or 409. Exactly one 201 in every round: **${hot.exactlyOneWinnerEachRound ? 'yes' : 'NO'}**.\n`,
  );
  md.push(
    markdownTable(
      ['round', 'slot', 'all decided (ms)', '201', '409 at the lock', '409 in the database', 'other'],
      hot.rounds.map((r, i) => [
        String(i + 1),
        r.slot,
        formatMs(r.allDecidedMs),
        String(r.won),
        String(r.lostAtLock),
        String(r.lostAtDatabase),
        Object.keys(r.other).length === 0 ? '—' : JSON.stringify(r.other),
      ]),
    ),
  );
  md.push(
    `Over all ${hot.decision.count} decisions: p50 **${formatMs(hot.decision.p50)} ms**, p90 ${formatMs(hot.decision.p90)} ms, p99 **${formatMs(hot.decision.p99)} ms**, max ${formatMs(hot.decision.max)} ms. ` +
      `A burst is decided at ${formatNumber(hr.decisionsPerSecond)} decisions/s (median over rounds) = ${formatRatio(hr.decisionsPerSecondRatio)} the baseline's req/s at ${hr.baselineConcurrency} connections; decision p50 = ${formatRatio(hr.p50Ratio)} and p99 = ${formatRatio(hr.p99Ratio)} the baseline's latency there.\n`,
  );
  md.push(embed('hot-slot', 'Distribution of hot-slot decision times'));

  md.push('## Coordinator lock+unlock pairs\n');
  md.push(
    'Straight against `servico-coordenador` (`POST /lock` then `POST /unlock` with the token), each pair on its own resource, with an undici `Pool` of keep-alive connections (one per worker), compared with the same closed loop and client against the baseline.\n',
  );
  md.push(
    markdownTable(
      [
        'workers',
        'pairs/s',
        'requests/s',
        'pair p50 ms',
        'pair p99 ms',
        'failures',
        'baseline req/s (same client)',
        'pairs/s ÷ baseline',
        'coordinator CPU',
      ],
      results.loops.lockPairs.map((r) => {
        const base = runAtConcurrency(results.loops.baseline, r.concurrency);
        return [
          String(r.concurrency),
          formatNumber(r.rps),
          formatNumber(2 * r.rps),
          formatMs(r.latency.p50),
          formatMs(r.latency.p99),
          String(r.non2xx + r.errors),
          formatNumber(base?.rps),
          formatRatio(ratio(r.rps, base?.rps)),
          cpuCell(r, 'servico-coordenador'),
        ];
      }),
    ),
  );
  md.push(embed('lock-pairs', 'Coordinator lock+unlock pairs per second against the baseline'));

  md.push('## GET /time\n');
  md.push(
    markdownTable(
      ['connections', 'req/s', 'p50 ms', 'p99 ms', 'failures', 'req/s ÷ baseline', 'scheduler CPU'],
      results.http.time.map((r) => [
        String(r.concurrency),
        formatNumber(r.rps),
        formatMs(r.latency.p50),
        formatMs(r.latency.p99),
        String(r.non2xx + r.errors),
        formatRatio(ratio(r.rps, runAtConcurrency(results.http.baseline, r.concurrency)?.rps)),
        cpuCell(r, 'servico-agendamento'),
      ]),
    ),
  );

  md.push('## Memory (RSS)\n');
  md.push(
    'VmRSS from `/proc/<pid>/status`, sampled every 200 ms during every run; idle is right after start-up. RSS seldom shrinks, so a run inherits what earlier runs grew (the order is baseline, bookings, GET /time at 1, 10, 50 connections, then the lock pairs, then the hot slot): read the maximum as "the most this process needed so far".\n',
  );
  const memory = memoryRows(results);
  const baselineMax = memory.find((m) => m.service === 'baseline')?.max;
  md.push(
    markdownTable(
      ['process', 'idle', 'max under load', 'seen in', 'max ÷ baseline max'],
      memory.map((m) => [
        m.service,
        formatMiB(m.idle),
        formatMiB(m.max),
        m.scenario,
        formatRatio(ratio(m.max, baselineMax)),
      ]),
    ),
  );
  md.push(
    markdownTable(
      ['run', ...SERVICES.map((name) => `${name} max RSS`)],
      [
        ...results.http.bookings.map((r) => [
          `bookings c=${r.concurrency}`,
          ...SERVICES.map((n) => formatMiB(r.usage[n]?.maxRssBytes)),
        ]),
        ...results.http.time.map((r) => [
          `GET /time c=${r.concurrency}`,
          ...SERVICES.map((n) => formatMiB(r.usage[n]?.maxRssBytes)),
        ]),
        ...results.loops.lockPairs.map((r) => [
          `lock pairs c=${r.concurrency}`,
          ...SERVICES.map((n) => formatMiB(r.usage[n]?.maxRssBytes)),
        ]),
        [`hot slot ×${hot.contenders}`, ...SERVICES.map((n) => formatMiB(hot.usage[n]?.maxRssBytes))],
      ],
    ),
  );
  md.push(embed('memory', 'Highest RSS of each process by scenario'));

  md.push('## Connection reuse between scheduler and coordinator\n');
  const c = results.connections;
  md.push(
    `During the distinct-slot runs the coordinator served ${Object.entries(
      bookingTraffic(c.coordinatorRequests),
    )
      .map(([k, v]) => `${formatNumber(v)} \`${k}\``)
      .join(
        ', ',
      )} (its \`http_request_duration_seconds_count\`, before/after) for ${formatNumber(c.bookings)} bookings, i.e. ${formatNumber(totalRequests(c.coordinatorRequests) / Math.max(1, c.bookings), 2)} coordinator requests per booking. ` +
      `Over the same time the scheduler process held at most **${c.maxOpenConnections}** ESTABLISHED connections to the coordinator's port at once and **${c.distinctConnections}** distinct ones in total (its sockets in \`/proc/<pid>/fd\` matched against \`/proc/net/tcp\`, sampled every 200 ms; the count includes the long-lived \`GET /eventos\` subscription). ${formatNumber(totalRequests(c.coordinatorRequests))} requests over ${c.distinctConnections} connections: the lock client's and event publisher's undici \`Pool\`s keep their connections alive and reuse them.\n`,
  );

  md.push('## Warnings the services logged\n');
  const warningRows = Object.entries(results.warnings).flatMap(([service, counts]) =>
    Object.entries(counts).map(([message, n]) => [service, `\`${message}\``, formatNumber(n)]),
  );
  md.push(
    warningRows.length === 0
      ? 'None: no WARNING or ERROR line in either service log during the run.\n'
      : markdownTable(['service', 'message (numbers as N)', 'count'], warningRows),
  );

  md.push('## Profile: what bounds booking throughput\n');
  if (results.profile === undefined) {
    md.push('No profile in this run (`--no-profile`, or `--quick` without `--profile`).\n');
  } else {
    const p = results.profile;
    md.push(
      `A fresh scheduler (own database) was run under \`node --cpu-prof\` while autocannon booked distinct slots at ${p.concurrency} connections for ${formatNumber(p.run.durationS, 1)} s (${formatNumber(p.run.rps)} bookings/s, ${p.run.non2xx + p.run.errors} failures; scheduler CPU ${p.run.usage['servico-agendamento']?.cpuPercent?.toFixed(0) ?? '—'} %, coordinator ${p.run.usage['servico-coordenador']?.cpuPercent?.toFixed(0) ?? '—'} %, load generator ${p.run.benchCpuPercent.toFixed(0)} % of one core). ` +
        `Only the samples taken during the measured window count (${formatNumber(p.summary.sampleCount)} samples, ${formatNumber(p.summary.totalMs / 1000, 1)} s${p.summary.windowIgnored ? '; the window matched no sample, so the whole profile was used' : ''}); the main thread was busy ${p.summary.busyPercent.toFixed(0)} % of it.\n`,
    );
    md.push(
      'Time by code area (self: the sampled frame itself is there; inclusive: the area is anywhere on the stack):\n',
    );
    md.push(
      markdownTable(
        ['area', 'self %', 'inclusive %'],
        p.summary.areas
          .filter((a) => a.selfPercent >= 0.5 || a.inclusivePercent >= 2)
          .map((a) => [
            a.area,
            a.selfPercent.toFixed(1),
            a.area === '(idle)' ? '—' : a.inclusivePercent.toFixed(1),
          ]),
      ),
    );
    md.push('Top functions by self time:\n');
    md.push(
      markdownTable(
        ['function', 'where', 'area', 'self ms', 'self %'],
        p.summary.topFunctions.map((f) => [
          `\`${f.functionName}\``,
          f.location === '' ? '—' : `\`${f.location}\``,
          f.area,
          formatNumber(f.selfMs),
          f.selfPercent.toFixed(1),
        ]),
      ),
    );
    md.push(
      'Functions of packages and of this repository by inclusive time (synchronous part of each call):\n',
    );
    md.push(
      markdownTable(
        ['function', 'where', 'area', 'inclusive %'],
        p.summary.topInclusive.map((f) => [
          `\`${f.functionName}\``,
          f.location === '' ? '—' : `\`${f.location}\``,
          f.area,
          f.inclusivePercent.toFixed(1),
        ]),
      ),
    );
  }
  md.push(finding.trim().replace(/^# .*\n+/, ''));
  md.push('');
  return `${md.join('\n')}\n`;
}

/** sctec.json: the results with numbers rounded to 4 significant digits, plus the ratio table. */
export function toJson(results: BenchResults): unknown {
  const rounded = JSON.parse(
    JSON.stringify(results, (_key, value: unknown) =>
      typeof value === 'number' && !Number.isInteger(value) ? round(value, 4) : value,
    ),
  ) as Record<string, unknown>;
  return {
    ...rounded,
    ratios: JSON.parse(
      JSON.stringify(
        { rows: ratioRows(results), hotSlot: hotSlotRatios(results), cpuPerRequest: cpuCostRows(results) },
        (_key, value: unknown) =>
          typeof value === 'number' && !Number.isInteger(value) ? round(value, 4) : value,
      ),
    ) as unknown,
  };
}
