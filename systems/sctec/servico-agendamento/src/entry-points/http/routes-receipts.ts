import type { HttpApp } from '@dslab/http-kit';
import { Type } from 'typebox';
import type { ReceiptSigner } from '../../adapters/receipts.js';

const JwkSchema = Type.Object(
  {
    kty: Type.Literal('OKP'),
    crv: Type.Literal('Ed25519'),
    x: Type.String({ description: 'Ed25519 public key, base64url' }),
    kid: Type.String({ description: 'RFC 7638 JWK thumbprint (SHA-256); the kid of every receipt it signs' }),
    alg: Type.Literal('EdDSA'),
    use: Type.Literal('sig'),
  },
  { additionalProperties: false },
);

const JwksSchema = Type.Object({ keys: Type.Array(JwkSchema) }, { additionalProperties: false });

/** GET /.well-known/jwks.json: the public key that checks signed decision receipts (docs/receipts.md). */
export function registerReceiptRoutes(app: HttpApp, deps: { signer: ReceiptSigner }): void {
  // Built once: the key set does not change while the process runs (no key rotation yet).
  const body = deps.signer.jwks;
  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        summary: 'Public key set (JWKS) that verifies the signed receipts of booking decisions',
        description:
          'Receipts are JWS compact, Ed25519 (alg EdDSA), typ sctec-recibo+jwt; see docs/receipts.md.',
        tags: ['recibos'],
        response: { 200: JwksSchema },
      },
    },
    async (_request, reply) =>
      reply.header('cache-control', 'public, max-age=300').type('application/json; charset=utf-8').send(body),
  );
}
