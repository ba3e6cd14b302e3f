export {
  dropSchema,
  migrate,
  openDatabase,
  sql,
  type Database,
  type Engine,
  type OpenDatabaseOptions,
} from './database.js';
export {
  isExclusionViolation,
  isRetryableTransactionError,
  isUniqueViolation,
  translateDatabaseError,
  violatedConstraint,
} from './errors.js';
