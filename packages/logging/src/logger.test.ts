import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from './logger.js';
import { parseTraceparent, traceparentFor } from './trace.js';

const SEED_LINE = /^(DEBUG|INFO|WARNING|ERROR|AUDIT):\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z:servico-x:/;

test('when a message is logged, then console and app.log get the seed line format', () => {
  const dir = mkdtempSync(join(tmpdir(), 'log-'));
  const lines: string[] = [];
  const log = createLogger({
    service: 'servico-x',
    file: join(dir, 'app.log'),
    console: false,
    onLine: (l) => lines.push(l),
  });
  log.info('Requisição recebida para POST /agendamentos');
  log.warn('cuidado');
  log.close();
  const file = readFileSync(join(dir, 'app.log'), 'utf8').split('\n').filter(Boolean);
  assert.equal(file.length, 2);
  assert.match(file[0] ?? '', SEED_LINE);
  assert.ok(file[0]?.endsWith(':servico-x:Requisição recebida para POST /agendamentos'));
  assert.ok(file[1]?.startsWith('WARNING:'));
  assert.deepEqual(
    lines.map((l) => l.trimEnd()),
    file,
  );
});

test('when an audit record is written, then app.log holds it as one JSON object after the AUDIT prefix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'log-'));
  const log = createLogger({ service: 'servico-x', file: join(dir, 'app.log'), console: false });
  const record = {
    timestamp_utc: '2025-10-26T18:00:05.123Z',
    level: 'AUDIT',
    event_type: 'AGENDAMENTO_CRIADO',
    details: { a: 1 },
  };
  log.audit(record);
  // Read back immediately, without close(): the write must already be on disk.
  const line = readFileSync(join(dir, 'app.log'), 'utf8').trimEnd();
  assert.match(line, SEED_LINE);
  const json = line.slice(line.indexOf(':servico-x:') + ':servico-x:'.length);
  assert.deepEqual(JSON.parse(json), record);
  log.close();
});

test('when a trace id is bound, then every line carries it, and secrets are redacted', () => {
  const lines: string[] = [];
  const log = createLogger({ service: 'servico-x', console: false, onLine: (l) => lines.push(l) });
  log
    .withTrace('4bf92f3577b34da6a3ce929d0e0e4736')
    .info('hello', { senha: 'hunter22', access_token: 'abc', ok: 1 });
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', /\[trace=4bf92f3577b34da6a3ce929d0e0e4736\]/);
  assert.doesNotMatch(lines[0] ?? '', /hunter22|abc"/);
  assert.match(lines[0] ?? '', /"ok":1/);
});

test('when the json format is chosen, then each line is a parseable object with the service name', () => {
  const lines: string[] = [];
  const log = createLogger({
    service: 'servico-x',
    console: false,
    format: 'json',
    onLine: (l) => lines.push(l),
  });
  log.error('boom', { code: 7 });
  const record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  assert.equal(record.service, 'servico-x');
  assert.equal(record.level, 'error');
  assert.equal(record.msg, 'boom');
});

test('when a traceparent is valid, then its trace id is used; when it is malformed, then it is ignored', () => {
  const header = traceparentFor('4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(parseTraceparent(header)?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(parseTraceparent('00-xyz-00f067aa0ba902b7-01'), undefined);
  assert.equal(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), undefined);
  assert.equal(parseTraceparent(undefined), undefined);
});

test('when the level hides info lines, then audit lines are still written', () => {
  const lines: string[] = [];
  const log = createLogger({
    service: 'servico-x',
    console: false,
    level: 'error',
    onLine: (l) => lines.push(l),
  });
  log.info('hidden');
  log.withTrace('4bf92f3577b34da6a3ce929d0e0e4736').audit({ event_type: 'AGENDAMENTO_CRIADO' });
  assert.equal(lines.length, 1);
  assert.match(
    lines[0] ?? '',
    /^AUDIT:.*:servico-x:\{"event_type":"AGENDAMENTO_CRIADO"\} \[trace=4bf92f3577b34da6a3ce929d0e0e4736\]\n$/,
  );
});

test('when a message carries line breaks, then it still takes exactly one line', () => {
  const lines: string[] = [];
  const log = createLogger({ service: 'servico-x', console: false, onLine: (l) => lines.push(l) });
  log.info('recurso A\nINFO:forged line\u2028x');
  assert.equal(lines.length, 1);
  assert.equal((lines[0] ?? '').split(/\r?\n|\u2028|\u2029/).filter(Boolean).length, 1);
  assert.match(lines[0] ?? '', /recurso A\\u000aINFO:forged line\\u2028x/);
});
