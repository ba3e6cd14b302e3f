/**
 * A one-line progress display for a phase: rewritten in place on a terminal, a plain line every
 * 5 s (and at the end) when the output is a file or a pipe, so logs stay readable.
 */
import type { Writable } from 'node:stream';
import { formatMs } from '@dslab/bench-kit';
import type { ProgressSnapshot } from './models.js';

const MIN_BAR = 10;
const MAX_BAR = 30;
/** Columns assumed when the stream does not say (a pipe, a file). */
const DEFAULT_WIDTH = 100;
/** Seconds of the phase between two plain lines (non-TTY). */
const PLAIN_EVERY_S = 5;

/**
 * `open 40/s  [#########-----------]  45%  sent 720  ended 700  38.5/s  p99 212 ms  errors 3`,
 * at most `width` columns: the bar shrinks first (down to 10), then goes, then the line is cut.
 */
export function renderProgress(snapshot: ProgressSnapshot, width: number): string {
  const fraction = snapshot.totalS > 0 ? Math.min(1, Math.max(0, snapshot.elapsedS / snapshot.totalS)) : 1;
  const percent = `${Math.floor(fraction * 100)}%`;
  const p99 = snapshot.p99Ms === null ? '—' : `${formatMs(snapshot.p99Ms)} ms`;
  const figures = [
    `sent ${snapshot.sent}`,
    `ended ${snapshot.ended}`,
    `${snapshot.ratePerS.toFixed(1)}/s`,
    `p99 ${p99}`,
    `errors ${snapshot.errors}`,
  ].join('  ');
  const withoutBar = `${snapshot.phase}  ${percent}  ${figures}`;
  // `[` + bar + `]` + two spaces.
  const room = Math.floor(width) - withoutBar.length - 4;
  if (room < MIN_BAR) return withoutBar.slice(0, Math.max(0, Math.floor(width)));
  const barWidth = Math.min(MAX_BAR, room);
  const filled = Math.round(fraction * barWidth);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}`;
  return `${snapshot.phase}  [${bar}]  ${percent}  ${figures}`;
}

export interface ProgressReporter {
  /** Shows the phase's latest snapshot (pass it as the load model's onProgress; needs no binding). */
  readonly update: (snapshot: ProgressSnapshot) => void;
  /** The phase ended: a terminal gets its newline, a log gets the last snapshot if not yet printed. */
  readonly done: () => void;
}

export function createProgressReporter(
  stream: NodeJS.WriteStream | Writable,
  isTTY: boolean,
): ProgressReporter {
  const width = () => {
    const columns = (stream as { columns?: unknown }).columns;
    // One column short: writing into the last one makes some terminals wrap.
    return typeof columns === 'number' && columns > 0 ? columns - 1 : DEFAULT_WIDTH;
  };
  let last: ProgressSnapshot | undefined;
  /** Plain mode: the last snapshot written, and the elapsed time when it was. */
  let printed: ProgressSnapshot | undefined;
  let printedAtS = 0;
  let lineOpen = false;

  const done = () => {
    if (isTTY) {
      if (lineOpen) stream.write('\n');
    } else if (last !== undefined && printed !== last) {
      stream.write(`${renderProgress(last, width())}\n`);
    }
    last = undefined;
    printed = undefined;
    printedAtS = 0;
    lineOpen = false;
  };
  const update = (snapshot: ProgressSnapshot) => {
    // A new phase without done() for the last one: close the last one's line first.
    if (last !== undefined && last.phase !== snapshot.phase) done();
    last = snapshot;
    if (isTTY) {
      // Back to the start of the line, write, erase whatever a longer previous line left.
      stream.write(`\r${renderProgress(snapshot, width())}\x1b[K`);
      lineOpen = true;
    } else if (snapshot.elapsedS >= printedAtS + PLAIN_EVERY_S) {
      stream.write(`${renderProgress(snapshot, width())}\n`);
      printed = snapshot;
      printedAtS = snapshot.elapsedS - (snapshot.elapsedS % PLAIN_EVERY_S);
    }
  };
  return { update, done };
}
