import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

export const GENESIS_HASH = '0'.repeat(64);

/** One audit event in the seed's schema plus the chain fields. */
export interface AuditRecord {
  seq: number;
  timestamp_utc: string;
  level: 'AUDIT';
  event_type: string;
  service: string;
  actor: Record<string, unknown> | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

/** hash = sha256(prev_hash || canonical_json(record without hash)). */
export function hashRecord(record: Omit<AuditRecord, 'hash'>): string {
  const { hash: _ignored, ...rest } = record as AuditRecord;
  return createHash('sha256').update(record.prev_hash).update(canonicalJson(rest)).digest('hex');
}

export type ChainBreak =
  | { seq: number; reason: 'seq-gap'; expected: number }
  | { seq: number; reason: 'prev-hash-mismatch'; expected: string; found: string }
  | { seq: number; reason: 'hash-mismatch'; expected: string; found: string }
  /** The chain verifies but stops before the head row's seq: its last entries were deleted. */
  | { seq: number; reason: 'missing-tail'; expected: number }
  /** The chain verifies up to the head row's seq, but its last hash is not the one the head recorded. */
  | { seq: number; reason: 'head-mismatch'; expected: string; found: string };

/**
 * Incremental verifier: feed records in seq order; the first break is remembered and
 * everything after it is ignored (a broken link makes the rest unprovable).
 */
export function createChainVerifier() {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  let broken: ChainBreak | undefined;
  return {
    push(record: AuditRecord): void {
      if (broken !== undefined) return;
      count += 1;
      if (record.seq !== expectedSeq) {
        broken = { seq: record.seq, reason: 'seq-gap', expected: expectedSeq };
        return;
      }
      if (record.prev_hash !== prevHash) {
        broken = {
          seq: record.seq,
          reason: 'prev-hash-mismatch',
          expected: prevHash,
          found: record.prev_hash,
        };
        return;
      }
      const recomputed = hashRecord(record);
      if (recomputed !== record.hash) {
        broken = { seq: record.seq, reason: 'hash-mismatch', expected: recomputed, found: record.hash };
        return;
      }
      expectedSeq += 1;
      prevHash = record.hash;
    },
    result(): VerifyResult {
      return broken === undefined
        ? { ok: true, count, headSeq: expectedSeq - 1, headHash: prevHash }
        : { ok: false, count, firstBroken: broken };
    },
  };
}

export type VerifyResult =
  | { ok: true; count: number; headSeq: number; headHash: string }
  | { ok: false; count: number; firstBroken: ChainBreak };

export function describeBreak(b: ChainBreak): string {
  switch (b.reason) {
    case 'seq-gap':
      return `entry seq ${b.seq}: expected seq ${b.expected} (an entry is missing or out of order)`;
    case 'prev-hash-mismatch':
      return `entry seq ${b.seq}: prev_hash ${b.found} does not match the previous entry's hash ${b.expected}`;
    case 'hash-mismatch':
      return `entry seq ${b.seq}: stored hash ${b.found} does not match its content (recomputed ${b.expected}); the entry was altered`;
    case 'missing-tail':
      return `entry seq ${b.seq}: missing, but the head records entries up to seq ${b.expected} (entries at the end were deleted)`;
    case 'head-mismatch':
      return `entry seq ${b.seq}: hash ${b.found} is not the head's recorded hash ${b.expected}; the end of the trail was rewritten`;
  }
}
