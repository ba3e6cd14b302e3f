import { checkoutServiceSettings, neighbourSettings, TRANSPORTS } from '@dslab/checkout-kit';
import { env, type ConfigOf, type ConfigOptions, type Field } from '@dslab/config';

/**
 * How pedidos works: `grpc` or `rest` call the five neighbours in turn while the client waits
 * (seed 003); `async` answers 202 at once and leaves the steps to the workers, over RabbitMQ
 * (seed 004, systems/checkout/async).
 */
export const PEDIDOS_TRANSPORTS = [...TRANSPORTS, 'async'] as const;
export type PedidosTransport = (typeof PEDIDOS_TRANSPORTS)[number];

/** Announced at start-up as development defaults (loadConfigOrExit's notes) when left unset. */
export const DEVELOPMENT_JWT_SECRET = 'dev-only-checkout-jwt-secret-change-me-0123';
export const DEVELOPMENT_SENHA_PADRAO = 'dev-only-senha-padrao';

/** The queues' namespace: `<prefix>.pedidos.eventos`, `<prefix>.<service>.comandos`. */
function queuePrefixSetting(description: string): Field<string> {
  return {
    description,
    fallback: { value: 'checkout', devOnly: false },
    parse: (raw) =>
      /^[A-Za-z0-9_.-]{1,100}$/.test(raw)
        ? { ok: true, value: raw }
        : { ok: false, message: `must be 1–100 letters, digits, '_', '.' or '-', got "${raw}"` },
  };
}

/** Every setting of pedidos; parsed once in main.ts (the only reader of process.env). */
export const pedidosConfigSchema = {
  ...checkoutServiceSettings('pedidos'),
  ...neighbourSettings(['catalogo', 'pagamentos', 'estoque', 'fiscal', 'logistica']),
  TRANSPORT: env
    .oneOf(
      'how pedidos runs an order: grpc or rest (it calls its neighbours in turn), async (202 at once; the workers run the steps over RabbitMQ)',
      PEDIDOS_TRANSPORTS,
    )
    .default('rest'),
  COMPENSATION_RESERVE_MS: env
    .int('part of a request budget kept for compensations when a step fails', { min: 0, max: 30_000 })
    .default(1500),
  RECOVERY_INTERVAL_MS: env
    .int('how often stalled orders (a neighbour was down, a crash) are driven on; 0 turns the loop off', {
      min: 0,
      max: 3_600_000,
    })
    .default(2000),
  RECOVERY_BUDGET_MS: env
    .int('budget of one background attempt on one order', { min: 100, max: 60_000 })
    .default(10_000),
  // TRANSPORT=async only.
  AMQP_URL: env
    .url('RabbitMQ the order events are published to (TRANSPORT=async)', { protocols: ['amqp', 'amqps'] })
    .optional(),
  QUEUE_PREFIX: queuePrefixSetting(
    'namespace of the queues (TRANSPORT=async): <prefix>.pedidos.eventos, <prefix>.<service>.comandos',
  ),
  CHECKOUT_JWT_SECRET: env
    .string('HS256 signing secret of the access tokens POST /auth/login issues (TRANSPORT=async)', {
      minLength: 32,
    })
    .devDefault(DEVELOPMENT_JWT_SECRET),
  CHECKOUT_SENHA_PADRAO: env
    .string(
      "password every customer of the seed's data logs in with (TRANSPORT=async; the seed stores none)",
      { minLength: 8 },
    )
    .devDefault(DEVELOPMENT_SENHA_PADRAO),
  TOKEN_TTL_SECONDS: env
    .int('lifetime of an access token, seconds (TRANSPORT=async)', { min: 60, max: 7 * 24 * 3600 })
    .default(3600),
};

export type PedidosConfig = ConfigOf<typeof pedidosConfigSchema>;

/** Settings that only mean something with TRANSPORT=async (their notes are dropped otherwise). */
export const ASYNC_ONLY_SETTINGS = [
  'AMQP_URL',
  'QUEUE_PREFIX',
  'CHECKOUT_JWT_SECRET',
  'CHECKOUT_SENHA_PADRAO',
  'TOKEN_TTL_SECONDS',
] as const;

/** The cross-field rules (loadConfigOrExit's `check`): async mode needs its broker. */
export function checkPedidosConfig(config: PedidosConfig): string[] {
  return config.TRANSPORT === 'async' && config.AMQP_URL === undefined
    ? ['AMQP_URL is required when TRANSPORT=async (e.g. amqp://guest:guest@127.0.0.1:5672)']
    : [];
}

export const pedidosConfigOptions: ConfigOptions<typeof pedidosConfigSchema> = { check: checkPedidosConfig };

/** loadConfigOrExit's notes that matter for `transport`: the async settings' only in async mode. */
export function notesFor(transport: PedidosTransport, notes: readonly string[]): string[] {
  if (transport === 'async') return [...notes];
  return notes.filter((note) => !ASYNC_ONLY_SETTINGS.some((key) => note.startsWith(`${key} `)));
}
