import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, env, parseConfig } from './config.js';

const schema = {
  PORT: env.port('HTTP port').default(5000),
  SECRET: env.string('signing secret', { minLength: 16 }).devDefault('dev-only-secret-0123456789'),
  URL: env.url('upstream', { protocols: ['http', 'https'] }).default('http://localhost:3000'),
  LIMIT: env.int('per minute', { min: 0 }).default(100),
  DB: env.url('database').optional(),
  MODE: env.oneOf('mode', ['a', 'b'] as const).default('a'),
};

test('when nothing is set, then defaults apply and dev-only defaults are announced', () => {
  const { config, notes } = parseConfig(schema, {});
  assert.equal(config.PORT, 5000);
  assert.equal(config.URL, 'http://localhost:3000');
  assert.equal(config.DB, undefined);
  assert.equal(notes.length, 1);
  assert.match(notes[0] ?? '', /SECRET.*DEVELOPMENT-ONLY/);
  assert.ok(Object.isFrozen(config));
});

test('when several keys are bad, then every one of them is named', () => {
  try {
    parseConfig(schema, { PORT: 'abc', SECRET: 'short', URL: 'ftp://x', LIMIT: '-1', MODE: 'c' });
    assert.fail('expected ConfigError');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    const keys = error.problems.map((p) => p.split(' ')[0]);
    assert.deepEqual(keys.sort(), ['LIMIT', 'MODE', 'PORT', 'SECRET', 'URL']);
  }
});

test('when a required key is missing, then it is reported', () => {
  assert.throws(() => parseConfig({ X: env.string('x') }, {}), /X is required/);
});

test('when values are valid, then they are parsed to their types', () => {
  const { config } = parseConfig(schema, { PORT: '0', LIMIT: '0', URL: 'https://a.b/', MODE: 'b' });
  assert.equal(config.PORT, 0);
  assert.equal(config.LIMIT, 0);
  assert.equal(config.URL, 'https://a.b');
  assert.equal(config.MODE, 'b');
});

test('when a cross-field rule breaks, then start-up fails naming it; when it holds, then the config loads', () => {
  const crossSchema = {
    STORE: env.oneOf('store', ['memory', 'redis'] as const).default('memory'),
    URL: env.string('url').optional(),
  };
  const check = (c: { STORE: 'memory' | 'redis'; URL: string | undefined }) =>
    c.STORE === 'redis' && c.URL === undefined ? ['URL is required when STORE=redis'] : [];
  assert.throws(
    () => parseConfig(crossSchema, { STORE: 'redis' }, { check }),
    (error: unknown) =>
      error instanceof ConfigError && error.problems[0] === 'URL is required when STORE=redis',
  );
  assert.equal(parseConfig(crossSchema, { STORE: 'redis', URL: 'x' }, { check }).config.URL, 'x');
  assert.equal(parseConfig(crossSchema, {}, { check }).config.STORE, 'memory');
});

test('when a number setting is given, then decimals parse and text or out-of-range values are refused', () => {
  const schema = { RATE: env.number('a probability', { min: 0, max: 1 }).default(0.1) };
  assert.equal(parseConfig(schema, {}).config.RATE, 0.1);
  assert.equal(parseConfig(schema, { RATE: '0.25' }).config.RATE, 0.25);
  assert.equal(parseConfig(schema, { RATE: '1' }).config.RATE, 1);
  assert.throws(() => parseConfig(schema, { RATE: 'ten' }), /RATE must be a number/);
  assert.throws(() => parseConfig(schema, { RATE: '1.5' }), /RATE must be ≤ 1/);
  assert.throws(() => parseConfig(schema, { RATE: '-0.1' }), /RATE must be ≥ 0/);
  assert.throws(() => parseConfig(schema, { RATE: 'NaN' }), /RATE must be a number/);
});
