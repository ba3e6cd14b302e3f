import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, parseConfig } from '@dslab/config';
import { checkPagamentosConfig, pagamentosConfigSchema, simulatorFromConfig } from '../src/config.js';

const parse = (env: Record<string, string>) =>
  parseConfig(pagamentosConfigSchema, env, { check: checkPagamentosConfig }).config;

describe('the configuration of pagamentos', () => {
  test('when nothing is set, then the simulator is the seed’s (500–1500 ms, 10 %) and not seeded', () => {
    const config = parse({});
    assert.deepEqual(simulatorFromConfig(config), { minMs: 500, maxMs: 1500, rejectionProbability: 0.1 });
    assert.equal(config.PAGAMENTO_SEED, undefined);
    assert.equal(config.HTTP_PORT, 8102);
    assert.equal(config.GRPC_PORT, 50052);
  });

  test('when the simulator is set, then its values are read', () => {
    const config = parse({
      PAGAMENTO_LATENCIA_MIN_MS: '0',
      PAGAMENTO_LATENCIA_MAX_MS: '5',
      PAGAMENTO_TAXA_REJEICAO: '0.25',
      PAGAMENTO_SEED: '42',
    });
    assert.deepEqual(simulatorFromConfig(config), { minMs: 0, maxMs: 5, rejectionProbability: 0.25 });
    assert.equal(config.PAGAMENTO_SEED, 42);
  });

  test('when min latency exceeds max, then start-up fails naming both settings', () => {
    assert.throws(
      () => parse({ PAGAMENTO_LATENCIA_MIN_MS: '900', PAGAMENTO_LATENCIA_MAX_MS: '800' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.length === 1 &&
        /PAGAMENTO_LATENCIA_MAX_MS \(800\) must not be less than PAGAMENTO_LATENCIA_MIN_MS \(900\)/.test(
          error.problems[0] ?? '',
        ),
    );
  });

  test('when values are out of range or not numbers, then every bad key is reported', () => {
    assert.throws(
      () =>
        parse({
          PAGAMENTO_LATENCIA_MIN_MS: '-1',
          PAGAMENTO_LATENCIA_MAX_MS: '60001',
          PAGAMENTO_TAXA_REJEICAO: '1.5',
          PAGAMENTO_SEED: 'abc',
        }),
      (error: unknown) =>
        error instanceof ConfigError &&
        [
          'PAGAMENTO_LATENCIA_MIN_MS',
          'PAGAMENTO_LATENCIA_MAX_MS',
          'PAGAMENTO_TAXA_REJEICAO',
          'PAGAMENTO_SEED',
        ].every((key) => error.problems.some((p) => p.startsWith(key))),
    );
  });
});
