/** scrypt password hashes: the shared implementation of @dslab/auth. */
export { hashPassword, verifyPassword } from '@dslab/auth';
