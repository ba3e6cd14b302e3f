export { canonicalJson } from './canonical-json.js';
export {
  createChainVerifier,
  describeBreak,
  GENESIS_HASH,
  hashRecord,
  type AuditRecord,
  type ChainBreak,
  type VerifyResult,
} from './chain.js';
export {
  auditMigration,
  createAuditLog,
  toRecord as auditRecordFromRow,
  type AuditEvent,
  type AuditLog,
  type AuditTables,
} from './store.js';
