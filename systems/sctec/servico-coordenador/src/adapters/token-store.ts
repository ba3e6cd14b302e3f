/**
 * Fencing tokens that keep growing across crashes and restarts.
 *
 * A token is only useful as a fence if no two grants ever share one, including grants made
 * before and after a `kill -9`. The file holds a high-water mark: every token up to it may
 * already be in someone's hands. Tokens are reserved in blocks so the disk is touched once
 * per `blockSize` grants: before handing out a token above the mark, the new mark is made
 * durable (temp file, fsync, rename, fsync of the directory). A restart resumes above the
 * mark, skipping the unused rest of the last block, which is harmless: fences need order,
 * not density.
 *
 * One file belongs to one process at a time; two coordinators on the same file would hand
 * out the same tokens (several coordinators need a shared store such as Redis or PostgreSQL).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TokenSource } from '../domain/lock-table.js';

export const DEFAULT_BLOCK_SIZE = 1000;

export interface FileTokenStore extends TokenSource {
  /** The durable high-water mark: no token above it has been handed out. */
  readonly reservedUpTo: number;
}

/**
 * Opens (or creates) the mark file and reserves the first block at once, so an unwritable
 * data directory fails the start-up rather than the first lock request.
 * A file that exists but does not hold a mark is refused: guessing could repeat tokens.
 */
export function createFileTokenStore(
  path: string,
  { blockSize = DEFAULT_BLOCK_SIZE }: { blockSize?: number } = {},
): FileTokenStore {
  if (!Number.isSafeInteger(blockSize) || blockSize < 1)
    throw new RangeError(`blockSize must be a positive integer, got ${blockSize}`);
  mkdirSync(dirname(path), { recursive: true });
  let last = readMark(path);
  let reservedUpTo = last;

  function reserve(): void {
    const mark = reservedUpTo + blockSize;
    if (!Number.isSafeInteger(mark)) throw new RangeError(`fencing tokens exhausted at ${reservedUpTo}`);
    writeMarkDurably(path, mark);
    reservedUpTo = mark;
  }

  reserve();
  return {
    next() {
      if (last >= reservedUpTo) reserve();
      return ++last;
    },
    get reservedUpTo() {
      return reservedUpTo;
    },
  };
}

/** Tokens for tests and single-run tools: strictly increasing, forgotten on exit. */
export function createMemoryTokenStore(start = 0): TokenSource {
  let last = start;
  return { next: () => ++last };
}

function readMark(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return 0;
    throw error;
  }
  const trimmed = text.trim();
  const mark = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(mark)) {
    throw new Error(
      `token mark file ${path} is corrupt (${JSON.stringify(text.slice(0, 40))}); refusing to guess a mark`,
    );
  }
  return mark;
}

function writeMarkDurably(path: string, mark: number): void {
  // rename() is atomic, so a crash leaves either the old mark or the new one, never a torn
  // file; the fsyncs make sure the new content and the rename itself reach the disk before
  // any token above the old mark leaves this process.
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, `${mark}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  fsyncDirectory(dirname(path));
}

function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch (error) {
    // Windows cannot open a directory for fsync; there is nothing more to do there.
    if (isErrnoException(error) && (error.code === 'EISDIR' || error.code === 'EPERM')) return;
    throw error;
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}
