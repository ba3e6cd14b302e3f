import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  countWarnings,
  environmentWithout,
  parseProcNetTcp,
  parseProcStatCpu,
  parseVmRss,
  sampleWhile,
} from './processes.js';

describe('reading /proc', () => {
  test('VmRSS is read in bytes', () => {
    assert.equal(parseVmRss('Name:\tnode\nVmRSS:\t  123456 kB\nVmSwap:\t0 kB\n'), 123456 * 1024);
    assert.equal(parseVmRss('Name:\tnode\n'), undefined);
  });

  test('CPU seconds are utime + stime, even with spaces in the command name', () => {
    const stat = '4242 (node my app) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 11 0 1000 0 0';
    assert.equal(parseProcStatCpu(stat), 3);
    assert.equal(parseProcStatCpu('garbage'), undefined);
  });

  test('/proc/net/tcp rows give ports, state and inode', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 11111 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:D431 0100007F:0BB8 01 00000000:00000000 00:00000000 00000000  1000        0 22222 1 0000000000000000 20 4 30 10 -1',
    ].join('\n');
    assert.deepEqual(parseProcNetTcp(text), [
      { localPort: 3000, remotePort: 0, state: '0A', inode: 11111 },
      { localPort: 54321, remotePort: 3000, state: '01', inode: 22222 },
    ]);
  });

  test('sampling this process while work runs gives its memory, its CPU and the work result', async () => {
    const sampled = await sampleWhile([{ name: 'self', pid: process.pid }], async () => {
      const until = performance.now() + 50;
      while (performance.now() < until);
      return 'done';
    });
    assert.equal(sampled.result, 'done');
    assert.ok((sampled.usage.self?.maxRssBytes ?? 0) > 0);
    assert.ok(sampled.benchCpuPercent > 0);
    assert.equal(sampled.connections, undefined);
    await assert.rejects(
      sampleWhile([], () => Promise.reject(new Error('boom'))),
      /boom/,
    );
  });
});

describe('service logs and environment', () => {
  test('warnings are counted by message, with numbers and trace ids left out', () => {
    const log = [
      'INFO:2027-01-01T00:00:00.000Z:servico-agendamento:ouvindo',
      'WARNING:2027-01-01T00:00:01.000Z:servico-agendamento:Falha ao publicar o evento X do agendamento 12: no answer within 500 ms [trace=0af7651916cd43dd8448eb211c80319c]',
      'WARNING:2027-01-01T00:00:02.000Z:servico-agendamento:Falha ao publicar o evento X do agendamento 13: no answer within 500 ms [trace=1af7651916cd43dd8448eb211c80319c]',
      'ERROR:2027-01-01T00:00:03.000Z:servico-agendamento:boom',
    ].join('\n');
    assert.deepEqual(countWarnings(log), {
      'WARNING Falha ao publicar o evento X do agendamento N: no answer within N ms': 2,
      'ERROR boom': 1,
    });
  });

  test('a child inherits the environment minus what the benchmark decides itself', () => {
    assert.deepEqual(
      environmentWithout({ PATH: '/bin', LOG_LEVEL: 'debug', HOME: '/h' }, new Set(['LOG_LEVEL'])),
      {
        PATH: '/bin',
        HOME: '/h',
      },
    );
  });
});
