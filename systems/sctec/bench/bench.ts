/**
 * `npm run bench:sctec`: SCTEC's benchmarks against a hello-world Fastify baseline measured in
 * the same run on the same machine. Starts real processes (baseline, servico-coordenador,
 * servico-agendamento), drives them with autocannon and undici, samples RSS/CPU from /proc,
 * optionally profiles the scheduler, and writes docs/benchmarks/sctec.{json,md} plus charts.
 * Options: `--help`.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  benchMain,
  countWarnings,
  machineInfo,
  readRssBytes,
  REPOSITORY_ROOT,
  runAutocannon,
  sampleWhile,
  startHelloWorld,
  startNodeService,
  startSampler,
  type BenchLog,
  type BenchProcess,
  type LoadResult,
} from '@dslab/bench-kit';
import { dropSchema } from '@dslab/db';
import { freePort } from '@dslab/testing';
import { MAX_BOOKING_HORIZON_MS, SLOT_MS } from '../servico-agendamento/src/domain/slots.js';
import { sctecCharts } from './charts.js';
import { benchEnvironment, childEnvironment } from './config.js';
import { summarizeProfile, type CpuProfile } from './cpuprofile.js';
import { createSlotAllocator, HELP, parseOptions, type BenchOptions, type SlotAllocator } from './options.js';
import { renderMarkdown, renderTextReport, toJson } from './report.js';
import type { BenchResults, ConnectionEvidence, MeasuredRun, ProfileResult, ServiceName } from './results.js';
import {
  countsDelta,
  distinctBookingRequests,
  fetchRequestCounts,
  registerScientists,
  runBaselineLoop,
  runHotSlot,
  runLockPairs,
  TELESCOPE,
} from './scenarios.js';

const entries = {
  coordinator: fileURLToPath(new URL('../servico-coordenador/src/main.ts', import.meta.url)),
  scheduler: fileURLToPath(new URL('../servico-agendamento/src/main.ts', import.meta.url)),
};
const JWT_SECRET = `bench-${randomBytes(16).toString('hex')}`;
const COORDINATOR_SECRET = `bench-${randomBytes(12).toString('hex')}`;

interface Services {
  baseline: BenchProcess;
  coordinator: BenchProcess;
  scheduler: BenchProcess;
}

async function startScheduler(
  options: BenchOptions,
  work: string,
  coordinatorUrl: string,
  label: string,
  nodeArgs: string[] = [],
): Promise<{ process: BenchProcess; schema: string | undefined }> {
  const port = await freePort();
  const dataDir = join(work, label);
  mkdirSync(dataDir, { recursive: true });
  const schema = options.postgres
    ? `bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
    : undefined;
  const process = await startNodeService({
    name: 'servico-agendamento',
    entry: entries.scheduler,
    port,
    logFile: join(work, `${label}.log`),
    nodeArgs,
    env: {
      ...childEnvironment(),
      SCHEDULER_PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: options.logLevel,
      COORDINATOR_URL: coordinatorUrl,
      COORDINATOR_SECRET,
      JWT_SECRET,
      ADMIN_EMAIL: 'admin@bench.example',
      ADMIN_PASSWORD: 'bench-admin-password',
      // Every request comes from 127.0.0.1: a per-address limit would throttle the load generator.
      RATE_LIMIT_PER_MINUTE: '0',
      ...(schema === undefined ? {} : { DATABASE_URL: options.databaseUrl, DATABASE_SCHEMA: schema }),
    },
  });
  return { process, schema };
}

async function startServices(options: BenchOptions, work: string) {
  const baseline = await startHelloWorld({
    name: 'baseline',
    logFile: join(work, 'baseline.log'),
    env: childEnvironment(),
  });
  const coordinatorPort = await freePort();
  const coordinatorDir = join(work, 'coordenador');
  mkdirSync(coordinatorDir, { recursive: true });
  const coordinator = await startNodeService({
    name: 'servico-coordenador',
    entry: entries.coordinator,
    port: coordinatorPort,
    logFile: join(work, 'coordenador.log'),
    env: {
      ...childEnvironment(),
      COORDINATOR_PORT: String(coordinatorPort),
      HOST: '127.0.0.1',
      DATA_DIR: coordinatorDir,
      LOG_LEVEL: options.logLevel,
      COORDINATOR_SECRET,
    },
  });
  const scheduler = await startScheduler(options, work, coordinator.url, 'agendamento');
  return { baseline, coordinator, scheduler: scheduler.process, schema: scheduler.schema };
}

function processList(services: Services): { name: ServiceName; pid: number }[] {
  return [
    { name: 'baseline', pid: services.baseline.pid },
    { name: 'servico-coordenador', pid: services.coordinator.pid },
    { name: 'servico-agendamento', pid: services.scheduler.pid },
  ];
}

/** Runs `work` while sampling every process; returns its result with their usage. */
async function measured(
  services: Services,
  work: () => Promise<LoadResult>,
  watchCoordinatorConnections = false,
): Promise<{ run: MeasuredRun; connections: { max: number; clientPorts: Set<number> } | undefined }> {
  const sampled = await sampleWhile(processList(services), work, {
    ...(watchCoordinatorConnections
      ? { watch: { pid: services.scheduler.pid, remotePort: services.coordinator.port } }
      : {}),
  });
  return {
    run: { ...sampled.result, usage: sampled.usage, benchCpuPercent: sampled.benchCpuPercent },
    connections: sampled.connections,
  };
}

function describeRun(label: string, run: LoadResult): string {
  const failures = run.non2xx + run.errors;
  return `${label} c=${run.concurrency}: ${run.rps.toFixed(0)}/s p50 ${run.latency.p50.toFixed(2)} ms p99 ${run.latency.p99.toFixed(2)} ms${failures > 0 ? ` FAILURES ${failures} ${JSON.stringify(run.statusCodes)}` : ''}`;
}

async function profilePhase(
  options: BenchOptions,
  work: string,
  services: Services,
  concurrency: number,
  log: BenchLog,
): Promise<{ profile: ProfileResult; schema: string | undefined }> {
  const profileDir = join(work, 'cpuprofile');
  mkdirSync(profileDir, { recursive: true });
  // A fresh database (its own slot space) and a scheduler under the V8 sampling profiler.
  const started = await startScheduler(options, work, services.coordinator.url, 'agendamento-profile', [
    '--cpu-prof',
    '--cpu-prof-dir',
    profileDir,
  ]);
  const scheduler = started.process;
  const profiled: Services = { ...services, scheduler };
  try {
    const tokens = await registerScientists(scheduler.url, 1, `profile-${Date.now().toString(36)}`);
    const slots = allocator();
    await runAutocannon({
      url: scheduler.url,
      connections: concurrency,
      durationS: options.warmupS,
      requests: distinctBookingRequests(slots, tokens),
    });
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const { run } = await measured(profiled, () =>
      runAutocannon({
        url: scheduler.url,
        connections: concurrency,
        durationS: options.profileDurationS,
        requests: distinctBookingRequests(slots, tokens),
      }),
    );
    const toUs = Number(process.hrtime.bigint() / 1000n);
    log(describeRun('profiled bookings', run));
    await scheduler.stop();
    // One profile per thread (tsx runs a loader thread too): the main thread's is the largest.
    const files = readdirSync(profileDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(profileDir, f))
      .sort((a, b) => statSync(b).size - statSync(a).size);
    const file = files[0];
    if (file === undefined) throw new Error(`no .cpuprofile written in ${profileDir}:\n${scheduler.tail()}`);
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const summary = summarizeProfile(profile, { top: 25, windowUs: { from: fromUs, to: toUs } });
    // Kept outside the work folder (which is deleted) for a closer look in Chrome DevTools.
    const kept = join(tmpdir(), `sctec-scheduler-${Date.now()}.cpuprofile`);
    copyFileSync(file, kept);
    log(`profile kept at ${kept} (load it in Chrome DevTools > Performance)`);
    return { profile: { file: kept, concurrency, run, summary }, schema: started.schema };
  } finally {
    await scheduler.stop();
  }
}

function allocator(): SlotAllocator {
  return createSlotAllocator({ nowMs: Date.now(), slotMs: SLOT_MS, horizonMs: MAX_BOOKING_HORIZON_MS });
}

/** One run of the benchmark; with --report-only, the results of the last one, read from `outDir`. */
async function runSctecBench(options: BenchOptions, log: BenchLog): Promise<BenchResults> {
  if (options.reportOnly)
    return JSON.parse(
      readFileSync(resolve(REPOSITORY_ROOT, options.outDir, 'sctec.json'), 'utf8'),
    ) as BenchResults;
  const began = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'sctec-bench-'));
  const schemas: string[] = [];
  const machine = machineInfo();
  log(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}; work dir ${work}`);
  let services: (Services & { schema: string | undefined }) | undefined;
  try {
    services = await startServices(options, work);
    if (services.schema !== undefined) schemas.push(services.schema);
    const running = services;
    log(
      `started: baseline ${running.baseline.url}, coordinator ${running.coordinator.url}, scheduler ${running.scheduler.url}`,
    );
    await new Promise((r) => setTimeout(r, 500));
    const idleRssBytes: BenchResults['idleRssBytes'] = {};
    for (const p of processList(running)) {
      const rss = readRssBytes(p.pid);
      if (rss !== undefined) idleRssBytes[p.name] = rss;
    }

    const tokens = await registerScientists(
      running.scheduler.url,
      options.scientists,
      `s${Date.now().toString(36)}`,
    );
    log(`registered ${tokens.length} scientists`);
    const slots = allocator();
    const bookingTokens = tokens.slice(0, Math.min(4, tokens.length));

    const targets = {
      baseline: () => ({ url: running.baseline.url }),
      bookings: () => ({
        url: running.scheduler.url,
        requests: distinctBookingRequests(slots, bookingTokens),
      }),
      time: () => ({ url: `${running.scheduler.url}/time` }),
    };
    const http: BenchResults['http'] = { baseline: [], bookings: [], time: [] };
    const warmC = Math.max(...options.concurrencies.filter((c) => c <= 10), 1);
    for (const [name, target] of Object.entries(targets)) {
      log(`warm-up ${name} (${options.warmupS} s)`);
      await runAutocannon({ ...target(), connections: warmC, durationS: options.warmupS });
    }
    const connections: ConnectionEvidence = {
      coordinatorRequests: {},
      bookings: 0,
      maxOpenConnections: 0,
      distinctConnections: 0,
    };
    const coordinatorClientPorts = new Set<number>();
    // Interleaved per concurrency, so slow drift of a shared machine hits all targets alike.
    for (const c of options.concurrencies) {
      for (const name of ['baseline', 'bookings', 'time'] as const) {
        const before = name === 'bookings' ? await fetchRequestCounts(running.coordinator.url) : undefined;
        const { run, connections: seen } = await measured(
          running,
          () => runAutocannon({ ...targets[name](), connections: c, durationS: options.durationS }),
          name === 'bookings',
        );
        if (before !== undefined) {
          const delta = countsDelta(before, await fetchRequestCounts(running.coordinator.url));
          for (const [key, value] of Object.entries(delta))
            connections.coordinatorRequests[key] = (connections.coordinatorRequests[key] ?? 0) + value;
          connections.bookings += run.ok;
          connections.maxOpenConnections = Math.max(connections.maxOpenConnections, seen?.max ?? 0);
          for (const port of seen?.clientPorts ?? []) coordinatorClientPorts.add(port);
          connections.distinctConnections = coordinatorClientPorts.size;
        }
        http[name].push(run);
        log(describeRun(name, run));
      }
    }

    const loops: BenchResults['loops'] = { baseline: [], lockPairs: [] };
    const runId = randomBytes(3).toString('hex');
    for (const c of options.concurrencies) {
      const base = await measured(running, () =>
        runBaselineLoop({ url: running.baseline.url, concurrency: c, durationS: options.loopDurationS }),
      );
      loops.baseline.push(base.run);
      log(describeRun('baseline (undici loop)', base.run));
      const pairs = await measured(running, () =>
        runLockPairs({
          coordinatorUrl: running.coordinator.url,
          secret: COORDINATOR_SECRET,
          concurrency: c,
          durationS: options.loopDurationS,
          runId,
        }),
      );
      loops.lockPairs.push(pairs.run);
      log(describeRun('lock+unlock pairs', pairs.run));
    }

    log(`hot slot: ${options.rounds} rounds of ${options.contenders} contenders`);
    const hotSampler = startSampler(processList(running));
    const hot = await runHotSlot({
      schedulerUrl: running.scheduler.url,
      tokens,
      contenders: options.contenders,
      rounds: options.rounds,
      slots,
    });
    const hotSlot = { ...hot, usage: hotSampler.stop().usage };
    for (const round of hot.rounds)
      log(
        `  ${round.slot}: all decided in ${round.allDecidedMs.toFixed(1)} ms; ${round.won}× 201, ${round.lostAtLock}× 409 at the lock, ${round.lostAtDatabase}× 409 in the database${Object.keys(round.other).length > 0 ? `, other ${JSON.stringify(round.other)}` : ''}`,
      );

    let profile: ProfileResult | undefined;
    if (options.profile) {
      const c = options.concurrencies.includes(10) ? 10 : (options.concurrencies[0] ?? 10);
      log(`profiling a fresh scheduler under --cpu-prof at c=${c} (${options.profileDurationS} s)`);
      await running.scheduler.stop();
      const profiled = await profilePhase(options, work, running, c, log);
      if (profiled.schema !== undefined) schemas.push(profiled.schema);
      profile = profiled.profile;
    }

    const warnings: BenchResults['warnings'] = {
      'servico-coordenador': countWarnings(running.coordinator.output()),
      'servico-agendamento': countWarnings(running.scheduler.output()),
    };
    const results: BenchResults = {
      machine,
      settings: {
        quick: options.quick,
        engine: options.postgres ? 'postgres' : 'sqlite',
        logLevel: options.logLevel,
        concurrencies: options.concurrencies,
        durationS: options.durationS,
        loopDurationS: options.loopDurationS,
        warmupS: options.warmupS,
        rounds: options.rounds,
        contenders: options.contenders,
        scientists: options.scientists,
        notes: [
          `LOG_LEVEL=${options.logLevel} on both services (LOG_FORMAT=line; audit lines are written at every level); their stdout/stderr go to a file, not a pipe`,
          'RATE_LIMIT_PER_MINUTE=0 on the scheduler (all load comes from one address); the coordinator has no limit by default',
          'COORDINATOR_SECRET set on both services, as in a real deployment',
          `slots used: ${slots.used} of the ${MAX_BOOKING_HORIZON_MS / 86_400_000}-day horizon on ${TELESCOPE}`,
        ],
      },
      idleRssBytes,
      http,
      loops,
      hotSlot,
      connections,
      profile,
      warnings,
      totalSeconds: (performance.now() - began) / 1000,
    };
    log(`measured in ${results.totalSeconds.toFixed(0)} s`);
    return results;
  } catch (error) {
    if (services !== undefined) {
      for (const p of [services.scheduler, services.coordinator, services.baseline])
        log(`--- last output of ${p.name} ---\n${p.tail(2000)}`);
    }
    throw error;
  } finally {
    if (services !== undefined) {
      await services.scheduler.stop();
      await services.coordinator.stop();
      await services.baseline.stop();
    }
    for (const schema of schemas) await dropSchema(options.databaseUrl, schema).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

/** The hand-written analysis of the profile, kept beside the code and embedded in sctec.md. */
function readFinding(): string {
  return readFileSync(fileURLToPath(new URL('./FINDING.md', import.meta.url)), 'utf8');
}

await benchMain<BenchOptions, BenchResults>({
  script: 'bench:sctec',
  help: HELP,
  parseOptions: (argv) => parseOptions(argv, benchEnvironment()),
  run: runSctecBench,
  report: {
    name: 'sctec',
    json: toJson,
    charts: sctecCharts,
    markdown: (results, charts) => renderMarkdown(results, charts, readFinding()),
    text: renderTextReport,
  },
});
