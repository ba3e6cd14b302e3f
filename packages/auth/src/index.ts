/**
 * Authentication shared by the dslab services: scrypt password hashes and HS256 access tokens
 * (JWT) whose payload each service turns into its own principal.
 */
export { hashPassword, SCRYPT_PARAMS, verifyPassword } from './passwords.js';
export {
  bearerTokenOf,
  createTokenService,
  INVALID_TOKEN_CHALLENGE,
  type JWTPayload,
  type TokenService,
  type TokenServiceOptions,
} from './tokens.js';
