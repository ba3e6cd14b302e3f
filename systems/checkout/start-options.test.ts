import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_SEED, MAX_SEED } from '@dslab/checkout-datagen';
import { CHECKOUT_SERVICES, DEFAULT_PORTS } from '@dslab/checkout-kit';
import { prefixLine } from '@dslab/launcher';
import {
  exampleCommand,
  launchPlan,
  NAME_WIDTH,
  NEIGHBOURS,
  parseStartOptions,
  readyReport,
  serviceEnvironment,
  USAGE,
  type StartOptions,
} from './start-options.js';

const POSTGRES = 'postgres://checkout:s3cret@127.0.0.1:5432/checkout';

function started(argv: string[], env: Record<string, string | undefined> = {}): StartOptions {
  const parsed = parseStartOptions(argv, env);
  assert.equal(parsed.kind, 'start', JSON.stringify(parsed));
  return (parsed as { options: StartOptions }).options;
}

function usageError(argv: string[], env: Record<string, string | undefined> = {}): string {
  const parsed = parseStartOptions(argv, env);
  assert.equal(parsed.kind, 'usage-error', JSON.stringify(parsed));
  return (parsed as { message: string }).message;
}

describe('npm run checkout: the command line', () => {
  test('with no options, it runs REST on SQLite in ./data/checkout with the default datagen seed', () => {
    assert.deepEqual(started([]), {
      transport: 'rest',
      engine: 'sqlite',
      dataDir: './data/checkout',
      seed: undefined,
      databaseUrl: undefined,
    });
    const plan = launchPlan(started([]), '/repo');
    assert.equal(plan.dataDir, '/repo/data/checkout');
    assert.equal(plan.ecommerceDb, '/repo/data/ecommerce.db');
    assert.equal(plan.seed, DEFAULT_SEED);
    assert.equal(plan.seedGiven, false);
  });

  test('every option is read, in both --flag value and --flag=value forms', () => {
    assert.deepEqual(
      started(['--transport', 'grpc', '--engine=postgres', '--data-dir', '/tmp/x', '--seed=7'], {
        DATABASE_URL: POSTGRES,
      }),
      {
        transport: 'grpc',
        engine: 'postgres',
        dataDir: '/tmp/x',
        seed: 7,
        databaseUrl: POSTGRES,
      },
    );
    assert.equal(started(['--seed', '0']).seed, 0);
    assert.equal(started(['--seed', String(MAX_SEED)]).seed, MAX_SEED);
    const plan = launchPlan(started(['--data-dir', 'elsewhere', '--seed', '9']), '/repo');
    assert.equal(plan.dataDir, '/repo/elsewhere');
    assert.equal(plan.seed, 9);
    assert.equal(plan.seedGiven, true);
  });

  test('--help and -h answer the usage, which names every option', () => {
    for (const flag of ['--help', '-h']) {
      assert.deepEqual(parseStartOptions([flag], {}), { kind: 'help', text: USAGE });
    }
    for (const option of [
      '--transport grpc|rest',
      '--engine sqlite|postgres',
      '--data-dir DIR',
      '--seed N',
    ]) {
      assert.ok(USAGE.includes(option), option);
    }
  });

  test('when a flag is unknown or a value is missing, it is a usage error that names it', () => {
    assert.match(usageError(['--trasport', 'grpc']), /--trasport/);
    assert.match(usageError(['--transport']), /--transport/);
    assert.match(usageError(['grpc']), /grpc/);
  });

  test('when a value is not allowed, the usage error says which values are', () => {
    assert.equal(usageError(['--transport', 'http']), '--transport must be grpc or rest, got "http"');
    assert.equal(usageError(['--engine', 'mysql']), '--engine must be sqlite or postgres, got "mysql"');
    assert.match(usageError(['--data-dir', ' ']), /--data-dir needs a directory/);
    for (const seed of ['-1', '1.5', 'abc', '', String(MAX_SEED + 1)]) {
      assert.match(usageError([`--seed=${seed}`]), /--seed must be an integer from 0 to/, seed);
    }
  });

  test('every bad value is reported at once', () => {
    const message = usageError(['--transport', 'x', '--engine', 'y', '--seed', 'z']);
    assert.equal(message.split('\n').length, 3, message);
  });

  test('when --engine postgres has no usable DATABASE_URL, it is a usage error naming DATABASE_URL', () => {
    assert.match(usageError(['--engine', 'postgres']), /needs DATABASE_URL in the environment/);
    assert.match(usageError(['--engine', 'postgres'], { DATABASE_URL: '' }), /needs DATABASE_URL/);
    assert.match(
      usageError(['--engine', 'postgres'], { DATABASE_URL: 'not a url' }),
      /DATABASE_URL is not a URL/,
    );
    assert.match(
      usageError(['--engine', 'postgres'], { DATABASE_URL: 'mysql://h/db' }),
      /postgres:\/\/ or postgresql:\/\//,
    );
    assert.equal(
      started(['--engine', 'postgres'], { DATABASE_URL: 'postgresql://h/db' }).databaseUrl,
      'postgresql://h/db',
    );
  });

  test('with SQLite, a DATABASE_URL in the environment is ignored', () => {
    assert.equal(started([], { DATABASE_URL: POSTGRES }).databaseUrl, undefined);
  });
});

describe('npm run checkout: what each service is started with', () => {
  const sqlite = launchPlan(started(['--transport', 'grpc']), '/repo');
  const postgres = launchPlan(started(['--engine', 'postgres'], { DATABASE_URL: POSTGRES }), '/repo');

  test('every service gets its default ports, the data dir, its own log folder and the seed file', () => {
    for (const service of CHECKOUT_SERVICES) {
      const env = serviceEnvironment(service, sqlite, {});
      assert.equal(env.HOST, '127.0.0.1');
      assert.equal(env.HTTP_PORT, String(DEFAULT_PORTS[service].http));
      assert.equal(env.GRPC_PORT, String(DEFAULT_PORTS[service].grpc));
      assert.equal(env.DATA_DIR, '/repo/data/checkout');
      assert.equal(env.LOG_DIR, join('/repo/data/checkout', service));
      assert.equal(env.ECOMMERCE_DB, '/repo/data/ecommerce.db');
      assert.equal(env.DATABASE_URL, undefined);
    }
  });

  test('pedidos and catalogo get the transport and the addresses of exactly the services they call', () => {
    assert.deepEqual(
      Object.keys(serviceEnvironment('pedidos', sqlite, {}))
        .filter((key) => /_(HTTP_URL|GRPC_ADDR)$/.test(key))
        .sort(),
      ['CATALOGO', 'ESTOQUE', 'FISCAL', 'LOGISTICA', 'PAGAMENTOS']
        .flatMap((name) => [`${name}_GRPC_ADDR`, `${name}_HTTP_URL`])
        .sort(),
    );
    const catalogo = serviceEnvironment('catalogo', sqlite, {});
    assert.equal(catalogo.TRANSPORT, 'grpc');
    assert.equal(catalogo.ESTOQUE_HTTP_URL, 'http://127.0.0.1:8103');
    assert.equal(catalogo.ESTOQUE_GRPC_ADDR, '127.0.0.1:50053');
    assert.equal(serviceEnvironment('pedidos', sqlite, {}).PAGAMENTOS_GRPC_ADDR, '127.0.0.1:50052');
    for (const service of ['pagamentos', 'estoque', 'fiscal', 'logistica'] as const) {
      const env = serviceEnvironment(service, sqlite, {});
      assert.equal(env.TRANSPORT, undefined, service);
      assert.deepEqual(NEIGHBOURS[service], []);
    }
  });

  test('with PostgreSQL every service gets DATABASE_URL and keeps its own default schema', () => {
    for (const service of CHECKOUT_SERVICES) {
      const env = serviceEnvironment(service, postgres, { DATABASE_SCHEMA: 'shared' });
      assert.equal(env.DATABASE_URL, POSTGRES);
      assert.equal(env.DATABASE_SCHEMA, undefined, 'one schema for all six would mix their tables');
    }
  });

  test('settings the launcher decides never leak in from the shell; the others pass through', () => {
    const shell = {
      HTTP_PORT: '9999',
      GRPC_PORT: '9998',
      HOST: '0.0.0.0',
      DATABASE_URL: POSTGRES,
      TRANSPORT: 'rest',
      LOG_DIR: '/var/log',
      ESTOQUE_HTTP_URL: 'http://elsewhere:1',
      PAGAMENTO_TAXA_REJEICAO: '0.5',
      LOG_LEVEL: 'debug',
      PATH: '/usr/bin',
      UNSET: undefined,
    };
    const estoque = serviceEnvironment('estoque', sqlite, shell);
    assert.equal(estoque.HTTP_PORT, '8103');
    assert.equal(estoque.HOST, '127.0.0.1');
    assert.equal(estoque.DATABASE_URL, undefined);
    assert.equal(estoque.TRANSPORT, undefined);
    assert.equal(estoque.ESTOQUE_HTTP_URL, undefined);
    assert.equal(estoque.LOG_DIR, '/repo/data/checkout/estoque');
    assert.equal(estoque.LOG_LEVEL, 'debug');
    assert.equal(estoque.PATH, '/usr/bin');
    assert.ok(!('UNSET' in estoque));
    assert.equal(serviceEnvironment('pagamentos', sqlite, shell).PAGAMENTO_TAXA_REJEICAO, '0.5');
    assert.equal(serviceEnvironment('catalogo', sqlite, shell).ESTOQUE_HTTP_URL, 'http://127.0.0.1:8103');
  });
});

describe('npm run checkout: what it prints', () => {
  const key = '2f1c7a58-9a43-4df3-9c1e-0d8a0c6f7b11';

  test('every line a service prints is prefixed with its name, in one column', () => {
    assert.equal(prefixLine('pedidos', 'INFO:x', NAME_WIDTH), 'pedidos    | INFO:x');
    assert.equal(prefixLine('pagamentos', '', NAME_WIDTH), 'pagamentos | ');
  });

  test('the REST example is a curl POST to pedidos with an Idempotency-Key and a JSON order', () => {
    assert.equal(
      exampleCommand({ transport: 'rest', host: '127.0.0.1' }, key, 'contracts/proto'),
      `curl -X POST http://127.0.0.1:8101/pedidos -H 'content-type: application/json' -H 'Idempotency-Key: ${key}' ` +
        `-d '{"cliente_id":1,"itens":[{"produto_id":1,"quantidade":1}]}'`,
    );
  });

  test('the gRPC example is a grpcurl CriarPedido call on pedidos with the proto import path', () => {
    assert.equal(
      exampleCommand({ transport: 'grpc', host: '127.0.0.1' }, key, 'contracts/proto'),
      `grpcurl -plaintext -import-path contracts/proto -proto checkout/v1/pedidos.proto ` +
        `-d '{"cliente_id":1,"itens":[{"produto_id":1,"quantidade":1}],"idempotency_key":"${key}"}' ` +
        `127.0.0.1:50051 checkout.v1.Pedidos/CriarPedido`,
    );
    assert.match(
      exampleCommand({ transport: 'grpc', host: '127.0.0.1' }, key, "/my dir/it's/contracts/proto"),
      /-import-path '\/my dir\/it'\\''s\/contracts\/proto' /,
    );
  });

  test('the report lists every service with its REST URL and gRPC address, then the example', () => {
    const report = readyReport(launchPlan(started([]), '/repo'), key, 'contracts/proto');
    for (const service of CHECKOUT_SERVICES) {
      const { http, grpc } = DEFAULT_PORTS[service];
      assert.match(
        report,
        new RegExp(`\\n  ${service} +http://127\\.0\\.0\\.1:${http} +127\\.0\\.0\\.1:${grpc}\\n`),
      );
    }
    assert.ok(report.includes(`curl -X POST http://127.0.0.1:8101/pedidos`));
    assert.ok(report.includes('SQLite files in /repo/data/checkout'));
  });

  test('the PostgreSQL password is never printed', () => {
    const plan = launchPlan(started(['--engine', 'postgres'], { DATABASE_URL: POSTGRES }), '/repo');
    const report = readyReport(plan, key, 'contracts/proto');
    assert.ok(!report.includes('s3cret'));
    assert.ok(report.includes('postgres://checkout:***@127.0.0.1:5432/checkout'));
  });
});
