export {
  absentEntry,
  entryOf,
  KV_LIMITS,
  type KvEntry,
  type KvOp,
  type KvWrite,
  type QueuedWrite,
} from './types.js';
export { compareVersions, lastWrites, sameEntry, supersedes } from './lww.js';
export { validateKey, validateValue } from './validation.js';
export {
  encodeWrite,
  kvQueues,
  messageIdOf,
  parseWriteMessage,
  seedQueueName,
  type AddKeyBody,
  type DelKeyBody,
  type KvQueues,
} from './messages.js';
