export {
  createLockClient,
  type LockClient,
  type LockClientOptions,
  type LockGrantBody,
  type LockResult,
} from './lock-client.js';
