/**
 * The queued writes on the wire, with the seed's queue and field names:
 *   add_key  {"key_name", "key_value", "version", "timestamp"}
 *   del_key  {"key_name", "version", "timestamp"}
 * `version` is new (the LWW order); `timestamp` stays as the seed has it, for people and logs.
 */
import { PoisonMessageError } from '@dslab/messaging';
import type { KvOp, KvWrite } from './types.js';
import { validateKey, validateValue } from './validation.js';

export interface KvQueues {
  readonly put: string;
  readonly delete: string;
}

/** The two work queues; the prefix isolates tests or deployments sharing one broker. */
export function kvQueues(prefix = ''): KvQueues {
  return { put: `${prefix}add_key`, delete: `${prefix}del_key` };
}

/** The seed's queue name of an operation (for log lines, whatever the prefix). */
export function seedQueueName(op: KvOp): 'add_key' | 'del_key' {
  return op === 'put' ? 'add_key' : 'del_key';
}

export interface AddKeyBody {
  readonly key_name: string;
  readonly key_value: string;
  readonly version: number;
  readonly timestamp: string;
}

export interface DelKeyBody {
  readonly key_name: string;
  readonly version: number;
  readonly timestamp: string;
}

/** The message id of a write: a version is issued once, so it names the write (redeliveries share it). */
export function messageIdOf(version: number): string {
  return `kv-${version}`;
}

export function encodeWrite(write: KvWrite): { messageId: string; body: AddKeyBody | DelKeyBody } {
  const body: AddKeyBody | DelKeyBody =
    write.op === 'put'
      ? { key_name: write.key, key_value: write.value, version: write.version, timestamp: write.timestamp }
      : { key_name: write.key, version: write.version, timestamp: write.timestamp };
  return { messageId: messageIdOf(write.version), body };
}

// What our API stamps: ISO-8601 UTC with milliseconds and Z (Date#toISOString).
// Field ranges checked by the pattern (no Date here: the domain keeps no clock of its own).
const TIMESTAMP = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/**
 * Parses a message of the `op` queue. Anything malformed can never succeed on a retry, so it
 * throws `PoisonMessageError` (the bus dead-letters it at once) with the reason.
 */
export function parseWriteMessage(op: KvOp, content: Buffer): KvWrite {
  const queue = seedQueueName(op);
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString('utf8'));
  } catch (error) {
    throw new PoisonMessageError(`${queue} message is not valid JSON`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PoisonMessageError(`${queue} message is not a JSON object`);
  }
  const body = parsed as Record<string, unknown>;
  const keyProblem = validateKey(body.key_name);
  if (keyProblem !== undefined) throw new PoisonMessageError(`${queue} message: key_name: ${keyProblem}`);
  const key = body.key_name as string;
  const version = body.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new PoisonMessageError(`${queue} message: version must be an integer ≥ 1`);
  }
  const timestamp = body.timestamp;
  if (typeof timestamp !== 'string' || !TIMESTAMP.test(timestamp)) {
    throw new PoisonMessageError(`${queue} message: timestamp must be ISO-8601 UTC with milliseconds`);
  }
  if (op === 'delete') return { op, key, version, timestamp };
  const valueProblem = validateValue(body.key_value);
  if (valueProblem !== undefined)
    throw new PoisonMessageError(`${queue} message: key_value: ${valueProblem}`);
  return { op, key, value: body.key_value as string, version, timestamp };
}
