import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cpuBetween, cpuSnapshot, parseMachineCpu, parseProcessTimes, type CpuSnapshot } from './machine.js';

describe('reading the machine and the engines from /proc', () => {
  test('the machine line gives busy and total ticks; a process line its name and CPU with children', () => {
    assert.deepEqual(parseMachineCpu('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8\n'), {
      busy: 150,
      total: 1000,
    });
    assert.equal(parseMachineCpu('intr 1 2 3'), undefined);
    const stat = '42 (beam.smp) S 1 2 3 4 5 6 7 8 9 10 300 100 50 50 20 0 1 0 100 0 0';
    assert.deepEqual(parseProcessTimes(stat), { name: 'beam.smp', seconds: 5 });
    assert.equal(parseProcessTimes('garbage'), undefined);
  });

  test('CPU between snapshots is percent of one core; the machine is scaled by its cores', () => {
    const start: CpuSnapshot = { at: 0, machine: { busy: 0, total: 0 }, postgres: 1, rabbitmq: undefined };
    const end: CpuSnapshot = { at: 2000, machine: { busy: 300, total: 400 }, postgres: 2, rabbitmq: 5 };
    assert.deepEqual(cpuBetween(start, end, 2), { machine: 150, postgres: 50, rabbitmq: null });
  });

  test(
    'on this machine, a window where this process spins shows busy CPU',
    { skip: process.platform !== 'linux' },
    () => {
      const before = cpuSnapshot();
      assert.ok(before.machine !== undefined && before.machine.busy <= before.machine.total);
      const until = performance.now() + 300;
      while (performance.now() < until) {
        // spin: at least this process's core is busy for the whole window
      }
      const { machine } = cpuBetween(before, cpuSnapshot());
      assert.ok(machine !== null && machine > 0, `machine CPU ${String(machine)}`);
    },
  );
});
