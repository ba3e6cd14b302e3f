import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { ProgressSnapshot } from '../src/models.js';
import { createProgressReporter, renderProgress } from '../src/progress.js';

const EXAMPLE = 'open 40/s  [#########-----------]  45%  sent 720  ended 700  38.5/s  p99 212 ms  errors 3';

function snapshot(overrides: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return {
    phase: 'open 40/s',
    elapsedS: 9,
    totalS: 20,
    sent: 720,
    ended: 700,
    inFlight: 20,
    ratePerS: 38.5,
    p99Ms: 212,
    errors: 3,
    ...overrides,
  };
}

/** A stream that keeps what was written (and may claim a terminal width). */
function captureStream(columns?: number) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  if (columns !== undefined) Object.assign(stream, { columns });
  return { stream, text: () => chunks.join(''), chunks };
}

test('when a snapshot is rendered, then it reads phase, bar, percent and the figures on one line', () => {
  assert.equal(renderProgress(snapshot(), EXAMPLE.length), EXAMPLE);
  // A wide terminal: the bar stops growing at 30.
  const wide = renderProgress(snapshot(), 300);
  assert.match(wide, /^open 40\/s {2}\[#{14}-{16}\] {2}45% {2}sent 720/);
  // Nothing ended in the last second: no p99 to show.
  assert.match(renderProgress(snapshot({ p99Ms: null, ratePerS: 0 }), 200), / 0\.0\/s {2}p99 — {2}errors 3$/);
  // Sub-10 ms latencies keep two decimals.
  assert.match(renderProgress(snapshot({ p99Ms: 4.5 }), 200), /p99 4\.50 ms/);
});

test('when the phase is draining past its sending time, then the bar is full at 100 %', () => {
  const line = renderProgress(snapshot({ elapsedS: 23, totalS: 20 }), 200);
  assert.match(line, /\[#{30}\] {2}100%/);
  assert.match(renderProgress(snapshot({ elapsedS: 0 }), 200), /\[-{30}\] {2}0%/);
});

test('when the terminal is narrow, then the line never exceeds its width', () => {
  for (let width = 0; width <= 140; width++) {
    const line = renderProgress(snapshot(), width);
    assert.ok(line.length <= width, `width ${width}: ${line.length} columns`);
  }
  // Too narrow for a 10-column bar: the bar goes first, the figures stay.
  assert.match(renderProgress(snapshot(), 79), /\[#{5}-{5}\]/);
  const withoutBar = renderProgress(snapshot(), 78);
  assert.ok(!withoutBar.includes('['));
  assert.match(withoutBar, /^open 40\/s {2}45% {2}sent 720/);
});

test('when the output is a terminal, then one line is rewritten in place and ended with a newline', () => {
  const { stream, text, chunks } = captureStream(60);
  const reporter = createProgressReporter(stream, true);
  reporter.update(snapshot({ elapsedS: 1 }));
  reporter.update(snapshot({ elapsedS: 2 }));
  reporter.update(snapshot({ elapsedS: 3 }));
  assert.equal(chunks.length, 3);
  for (const chunk of chunks) {
    assert.ok(chunk.startsWith('\r') && chunk.endsWith('\x1b[K') && !chunk.includes('\n'));
    // The stream's columns, minus one so the terminal does not wrap.
    assert.ok(chunk.length - '\r\x1b[K'.length <= 59);
  }
  reporter.done();
  assert.ok(text().endsWith('\n'));
  assert.equal(text().split('\n').length, 2);
  // done() twice, or without updates, writes nothing more.
  reporter.done();
  assert.equal(chunks.length, 4);
});

test('when the output is not a terminal, then a plain line is written every 5 s of the phase and at the end', () => {
  const { stream, text } = captureStream();
  const reporter = createProgressReporter(stream, false);
  for (let elapsed = 0.25; elapsed <= 12; elapsed += 0.25)
    reporter.update(snapshot({ elapsedS: elapsed, totalS: 12 }));
  reporter.done();
  const lines = text()
    .split('\n')
    .filter((line) => line !== '');
  assert.equal(lines.length, 3);
  assert.ok(!text().includes('\r'));
  assert.match(lines[0] ?? '', / 41%/);
  assert.match(lines[1] ?? '', / 83%/);
  assert.match(lines[2] ?? '', / 100%/);
  // Lines are rendered for 100 columns when the stream has no width.
  for (const line of lines) assert.ok(line.length <= 100);
});

test('when the last snapshot was already printed, then done() does not repeat it', () => {
  const { stream, text } = captureStream();
  const reporter = createProgressReporter(stream, false);
  reporter.update(snapshot({ elapsedS: 1 }));
  reporter.update(snapshot({ elapsedS: 5 }));
  reporter.done();
  assert.equal(text().split('\n').filter(Boolean).length, 1);
});

test('when a new phase starts without done(), then the previous one is closed first', () => {
  const { stream, text } = captureStream();
  const reporter = createProgressReporter(stream, false);
  reporter.update(snapshot({ phase: 'open 10/s', elapsedS: 1 }));
  const { update } = reporter; // usable unbound, as an onProgress callback
  update(snapshot({ phase: 'open 20/s', elapsedS: 1 }));
  reporter.done();
  const lines = text().split('\n').filter(Boolean);
  assert.equal(lines.length, 2);
  assert.match(lines[0] ?? '', /^open 10\/s/);
  assert.match(lines[1] ?? '', /^open 20\/s/);
});
