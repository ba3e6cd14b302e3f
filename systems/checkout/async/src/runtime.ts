/**
 * The asynchronous checkout's moving parts in one process: over the services' opened databases
 * (databases.ts) and a bus, each step service's application layer (the same one its REST and gRPC
 * entry points use), one outbox relay per database, a command worker per step service and the
 * pedidos orchestrator. Which of the five run here is the caller's choice (WORKER_SERVICES).
 *
 * Start: relays first (an answer committed by a consumer is published at once), then the
 * consumers. Stop: consumers first (no new effect starts; the ones in flight finish and are
 * acknowledged), then each relay's last pass (what they committed goes out), then the relays. The
 * databases and the bus belong to the caller, closed after stop(). Nothing here relies on stop()
 * running: a SIGKILLed process leaves unacknowledged messages (redelivered to another consumer)
 * and outbox rows (published by the next relay to run), never half an effect.
 */
import { ASYNC_SERVICES, type AsyncService } from '@dslab/checkout-contracts/messages';
import {
  buildApp as buildEstoque,
  estoqueCommandHandler,
  type EstoqueService,
} from '@dslab/checkout-estoque';
import {
  buildApp as buildFiscal,
  DEFAULT_EMITENTE,
  fiscalCommandHandler,
  type Emitente,
} from '@dslab/checkout-fiscal';
import {
  createCommandWorker,
  type CheckoutApp,
  type CommandHandler,
  type CommonTables,
  type StepService,
  type Worker,
} from '@dslab/checkout-kit';
import { buildApp as buildLogistica, logisticaCommandHandler } from '@dslab/checkout-logistica';
import {
  buildApp as buildPagamentos,
  pagamentosCommandHandler,
  SEED_SIMULATOR,
  type SimulatorConfig,
} from '@dslab/checkout-pagamentos';
import {
  createOrchestrator,
  type Orchestrator,
  type RedriveOptions,
  type RedriveResult,
} from '@dslab/checkout-pedidos';
import type { Database } from '@dslab/db';
import type { Logger } from '@dslab/logging';
import type { MessageBus } from '@dslab/messaging';
import { createOutboxRelay, type OutboxRelay } from '@dslab/outbox';
import { probeDatabase, type ServiceDatabases } from './databases.js';

/** The step services' own settings (the same as their deployables'). */
export interface StepSettings {
  /** The payment simulator (default the seed's: 500–1500 ms, 10 % rejected). */
  readonly simulator?: SimulatorConfig;
  /** PAGAMENTO_SEED: reproducible simulator draws. */
  readonly pagamentoSeed?: number | undefined;
  /** FISCAL_UF, FISCAL_CNPJ, FISCAL_SERIE. */
  readonly emitente?: Emitente;
  readonly fiscalSeed?: number | undefined;
  /** LOGISTICA_SEED: reproducible tracking codes; default from the OS. */
  readonly logisticaSeed?: number | undefined;
}

/** The orchestrator's sweep for stalled orders (pedidos' application/redrive.ts). */
export interface RedriveSettings {
  /** Untouched this long (× 2^min(re-sends, 6)): stalled (default 120 000 ms). */
  readonly stallAfterMs?: number;
  /** How often the orchestrator sweeps (default 30 000 ms; 0: never). */
  readonly sweepIntervalMs?: number;
  /** Re-sends of one step before the order is left to an operator (default 10). */
  readonly maxRedrives?: number;
}

/**
 * The runtime's settings that every process hosting it takes from its configuration
 * (config.ts's runtimeSettingsOf): the queues, the consumers, the steps and the sweep.
 */
export interface AsyncRuntimeSettings {
  readonly queuePrefix?: string;
  /** Messages in flight per queue and process. */
  readonly prefetch?: number;
  /** Deliveries before a failing message is dead-lettered. */
  readonly maxAttempts?: number;
  /** Deadline of one step in a worker. */
  readonly stepTimeoutMs?: number;
  readonly steps?: StepSettings;
  /** The orchestrator's sweep for stalled orders (when pedidos runs here). */
  readonly redrive?: RedriveSettings;
}

export interface AsyncRuntimeOptions extends AsyncRuntimeSettings {
  /** What this process runs: step workers and/or the orchestrator (pedidos). */
  readonly services: readonly AsyncService[];
  /** Must hold the database of every service in `services`. */
  readonly databases: ServiceDatabases;
  readonly bus: MessageBus;
  /** The logger of each service's lines (its name in every line). */
  readonly loggerOf: (service: AsyncService) => Logger;
  /** How often an idle relay looks for rows written by other processes (default 200 ms). */
  readonly relayIdlePollMs?: number;
  /** Bound of each relay's last pass at stop (default 5000 ms). */
  readonly drainTimeoutMs?: number;
}

export interface AsyncRuntime {
  readonly services: readonly AsyncService[];
  /** The relay of each service's database (the pedidos API of the same process shares pedidos'). */
  readonly relays: Readonly<Partial<Record<AsyncService, OutboxRelay>>>;
  /** estoque's application layer when it runs here (the embedded catalogo reads live stock from it). */
  readonly estoque: EstoqueService | undefined;
  /** Starts the relays, then every consumer. */
  start(): Promise<void>;
  /** Consumers first, then each relay's last pass and the relays; the databases stay open. */
  stop(): Promise<void>;
  /** GET /health's checks: the bus, every database, the consumers. 'ok' or a reason each. */
  health(): Promise<Record<string, string>>;
  /** Outbox rows not yet published, per database. */
  pending(): Promise<Partial<Record<AsyncService, number>>>;
  /**
   * One sweep for stalled orders now, by the orchestrator (undefined when pedidos does not run
   * here). The embedded mode runs one with `olderThanMs: 0` right after start().
   */
  redriveStalled(options: RedriveOptions): Promise<RedriveResult | undefined>;
}

/** Sorted in queue order, without repeats: pedidos first, then the step services. */
function ordered(services: readonly AsyncService[]): AsyncService[] {
  return ASYNC_SERVICES.filter((service) => services.includes(service));
}

function required<T>(value: T | undefined, service: AsyncService): T {
  if (value === undefined) throw new Error(`the database of ${service} was not opened`);
  return value;
}

/** The settings among `keys` that `options` sets: one left unset stays absent (the callee's default). */
function settingsOf<T extends object, K extends keyof T>(options: T, keys: readonly K[]): Pick<T, K> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (options[key] !== undefined) picked[key] = options[key];
  return picked as Pick<T, K>;
}

async function withTimeout<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<T>((resolve) => {
        timer = setTimeout(() => resolve(fallback), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A step service built for its command worker: its application layer and its command handler. */
interface BuiltStep {
  readonly app: CheckoutApp;
  readonly handle: CommandHandler;
  /** estoque's application layer (the embedded catalogo reads live stock from it). */
  readonly estoque?: EstoqueService;
}

/**
 * How each step service is built: through its own buildApp (the application layer its REST and
 * gRPC entry points run) with its settings, and the handler of its queue's commands.
 */
const STEP_BUILDERS: {
  readonly [S in StepService]: (
    databases: ServiceDatabases,
    logger: Logger,
    steps: StepSettings,
  ) => Promise<BuiltStep>;
} = {
  estoque: async (databases, logger) => {
    const app = await buildEstoque({ database: required(databases.estoque, 'estoque'), logger });
    return { app, handle: estoqueCommandHandler(app.service), estoque: app.service };
  },
  pagamentos: async (databases, logger, steps) => {
    const app = await buildPagamentos({
      database: required(databases.pagamentos, 'pagamentos'),
      logger,
      simulator: steps.simulator ?? SEED_SIMULATOR,
      seed: steps.pagamentoSeed,
    });
    return { app, handle: pagamentosCommandHandler(app.service) };
  },
  fiscal: async (databases, logger, steps) => {
    const app = await buildFiscal({
      database: required(databases.fiscal, 'fiscal'),
      logger,
      emitente: steps.emitente ?? DEFAULT_EMITENTE,
      ...(steps.fiscalSeed === undefined ? {} : { seed: steps.fiscalSeed }),
    });
    return { app, handle: fiscalCommandHandler(app.service) };
  },
  logistica: async (databases, logger, steps) => {
    const app = await buildLogistica({
      database: required(databases.logistica, 'logistica'),
      logger,
      ...(steps.logisticaSeed === undefined ? {} : { seed: steps.logisticaSeed }),
    });
    return { app, handle: logisticaCommandHandler(app.service) };
  },
};

/**
 * Builds what `options.services` need (nothing runs until start()). The step services are built
 * through their own buildApp, so a worker runs exactly the application layer (validation,
 * idempotency per order, operation records) their REST and gRPC entry points run.
 */
export async function createAsyncRuntime(options: AsyncRuntimeOptions): Promise<AsyncRuntime> {
  const services = ordered(options.services);
  if (services.length === 0) throw new Error('no service to run');
  const { bus, databases } = options;
  const steps = options.steps ?? {};
  // What every consumer gets; a setting left out keeps the consumer's own default.
  const common = { bus, ...settingsOf(options, ['queuePrefix', 'prefetch', 'maxAttempts']) };

  const relays: Partial<Record<AsyncService, OutboxRelay>> = {};
  const databaseOf = (service: AsyncService): Database<CommonTables> =>
    required<Database<CommonTables>>(databases[service], service);

  for (const service of services) {
    relays[service] = createOutboxRelay({
      database: databaseOf(service),
      bus,
      logger: options.loggerOf(service),
      name: service,
      ...(options.relayIdlePollMs === undefined ? {} : { idlePollMs: options.relayIdlePollMs }),
    });
  }
  const relayOf = (service: AsyncService): OutboxRelay => required(relays[service], service);

  const apps: CheckoutApp[] = [];
  const workers: { readonly service: AsyncService; readonly worker: Worker }[] = [];
  let estoque: EstoqueService | undefined;
  let orchestrator: Orchestrator | undefined;
  try {
    for (const service of services) {
      const logger = options.loggerOf(service);
      if (service === 'pedidos') {
        orchestrator = createOrchestrator({
          ...common,
          database: required(databases.pedidos, service),
          relay: relayOf(service),
          logger,
          ...settingsOf(options.redrive ?? {}, ['stallAfterMs', 'sweepIntervalMs', 'maxRedrives']),
        });
        workers.push({ service, worker: orchestrator });
        continue;
      }
      const step = await STEP_BUILDERS[service](databases, logger, steps);
      apps.push(step.app);
      if (step.estoque !== undefined) estoque = step.estoque;
      workers.push({
        service,
        worker: createCommandWorker({
          ...common,
          ...settingsOf(options, ['stepTimeoutMs']),
          service,
          database: databaseOf(service),
          relay: relayOf(service),
          logger,
          handle: step.handle,
        }),
      });
    }
  } catch (error) {
    await Promise.all(apps.map((app) => closeApp(app)));
    throw error;
  }

  const drainTimeoutMs = options.drainTimeoutMs ?? 5000;
  let state: 'new' | 'running' | 'stopped' = 'new';
  const consuming = new Set<AsyncService>();

  return {
    services,
    relays,
    estoque,

    async start() {
      if (state !== 'new') throw new Error(`the runtime is ${state}`);
      state = 'running';
      for (const relay of Object.values(relays)) relay.start();
      for (const { service, worker } of workers) {
        await worker.start();
        consuming.add(service);
      }
    },

    async stop() {
      if (state === 'stopped') return;
      const wasRunning = state === 'running';
      state = 'stopped';
      if (wasRunning) {
        // Consumers first: what is in flight finishes and is acknowledged; nothing new starts.
        await Promise.all(
          workers.map(async ({ service, worker }) => {
            consuming.delete(service);
            await worker.stop().catch((error: unknown) => {
              options.loggerOf(service).error(`Falha ao parar o consumidor de ${service}: ${String(error)}`);
            });
          }),
        );
        // What they committed goes out now (bounded: a broker that is down keeps it for the next start).
        await Promise.all(
          Object.entries(relays).map(async ([service, relay]) => {
            const published = await withTimeout(
              relay.drainOnce().catch(() => 0),
              drainTimeoutMs,
              0,
            );
            if (published > 0)
              options
                .loggerOf(service as AsyncService)
                .info(`Outbox de ${service}: ${published} mensagem(ns) publicada(s) no encerramento`);
          }),
        );
      }
      await Promise.all(Object.values(relays).map((relay) => relay.stop()));
      await Promise.all(apps.map((app) => closeApp(app)));
    },

    async health() {
      const checks: Record<string, string> = { broker: bus.connected ? 'ok' : 'not connected' };
      await Promise.all(
        services.map(async (service) => {
          checks[`database_${service}`] = await probeDatabase(
            databaseOf(service) as unknown as Database<unknown>,
          );
        }),
      );
      for (const service of services)
        checks[`consumer_${service}`] = consuming.has(service) ? 'ok' : 'not consuming';
      return checks;
    },

    async redriveStalled(redriveOptions) {
      return orchestrator?.redriveStalled(redriveOptions);
    },

    async pending() {
      const counts: Partial<Record<AsyncService, number>> = {};
      await Promise.all(
        Object.entries(relays).map(async ([service, relay]) => {
          counts[service as AsyncService] = await relay.pending();
        }),
      );
      return counts;
    },
  };
}

async function closeApp(app: CheckoutApp): Promise<void> {
  await app.http.close().catch(() => undefined);
  await app.close().catch(() => undefined);
}
