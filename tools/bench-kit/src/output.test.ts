import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { TopLevelSpec } from 'vega-lite';
import { helloWorldSource } from './baselines.js';
import { svgToPng, renderSvg } from './charts.js';
import { syntheticMachineInfo } from './fixtures.js';
import { describeMachine, machineInfo, outputDirectory, REPOSITORY_ROOT, saveReport } from './output.js';

const bars: TopLevelSpec = {
  data: { values: [{ what: 'a', n: 1 }] },
  mark: 'bar',
  encoding: { x: { field: 'what', type: 'nominal' }, y: { field: 'n', type: 'quantitative' } },
};

describe('saving results', () => {
  test('the machine is described with rounded memory and load', () => {
    const machine = machineInfo();
    assert.equal(machine.node, process.version);
    assert.ok(machine.cores > 0);
    assert.equal(machine.totalMemoryGiB, Math.round(machine.totalMemoryGiB * 10) / 10);
    assert.equal(machine.loadAverageAtStart.length, 3);
    assert.match(machine.date, /^\d{4}-\d\d-\d\dT.*Z$/);
    assert.equal(
      describeMachine({ ...syntheticMachineInfo(), loadAverageAtStart: [1.5, 0.25, 3] }),
      'cpu, 2 cores, 8.0 GiB, linux x64, Node v20; load average at start 1.50 / 0.25 / 3.00; 2027-01-01T00:00:00.000Z',
    );
  });

  test('a relative output folder is taken from the repository root', () => {
    assert.ok(existsSync(join(REPOSITORY_ROOT, 'package.json')));
    const out = mkdtempSync(join(tmpdir(), 'bench-kit-'));
    try {
      assert.equal(outputDirectory(join(out, 'a', 'b')), join(out, 'a', 'b'));
      assert.ok(existsSync(join(out, 'a', 'b')));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    assert.equal(helloWorldSource(), 'tools/bench-kit/src/hello-server.ts');
    assert.equal(helloWorldSource('http-kit'), 'tools/bench-kit/src/http-kit-hello-server.ts');
  });

  test('a report is written as JSON, Markdown that links its charts, and SVG + PNG charts', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-kit-'));
    try {
      const saved = await saveReport({
        outDir: out,
        name: 'x',
        json: { rps: 1 },
        charts: [{ name: 'bars', file: 'x-bars', spec: bars }],
        markdown: (charts) => charts.map((c) => `![${c.name}](${c.png})`).join('\n'),
      });
      assert.deepEqual(saved.files, [
        join(out, 'x.json'),
        join(out, 'x.md'),
        join(out, 'x-bars.svg'),
        join(out, 'x-bars.png'),
      ]);
      assert.equal(readFileSync(join(out, 'x.json'), 'utf8'), '{\n  "rps": 1\n}\n');
      assert.equal(readFileSync(join(out, 'x.md'), 'utf8'), '![bars](x-bars.png)');
      assert.match(readFileSync(join(out, 'x-bars.svg'), 'utf8'), /^<svg/);
      // The PNG signature.
      assert.deepEqual([...readFileSync(join(out, 'x-bars.png')).subarray(1, 4)], [0x50, 0x4e, 0x47]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('with onChartError a chart that fails is reported and the rest is still written', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-kit-'));
    try {
      const failures: unknown[] = [];
      const broken = { mark: 'no-such-mark' } as unknown as TopLevelSpec;
      const saved = await saveReport({
        outDir: out,
        name: 'y',
        json: {},
        charts: [{ name: 'broken', file: 'y-broken', spec: broken }],
        markdown: (charts) => `${charts.length} charts`,
        onChartError: (error) => failures.push(error),
      });
      assert.equal(failures.length, 1);
      assert.deepEqual(saved.charts, []);
      assert.equal(readFileSync(join(out, 'y.md'), 'utf8'), '0 charts');
      await assert.rejects(
        saveReport({
          outDir: out,
          name: 'z',
          json: {},
          charts: [{ name: 'b', file: 'z', spec: broken }],
          markdown: () => '',
        }),
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('an SVG renders to a PNG twice its size', async () => {
    const svg = await renderSvg(bars);
    const width = Number(/width="(\d+)"/.exec(svg)?.[1]);
    const png = svgToPng(svg);
    // Width is a big-endian uint32 at byte 16 of the IHDR chunk.
    assert.equal(png.readUInt32BE(16), 2 * width);
  });
});
