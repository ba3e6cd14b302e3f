import type { Actor } from '../domain/booking.js';

/** The authenticated caller as services see it: id, role and e-mail (from the token). */
export type AuthenticatedActor = Actor & { email: string };

/** Who did it, as the audit trail records it. */
export function auditActor(actor: AuthenticatedActor) {
  return { cientista_id: actor.id, email: actor.email, papel: actor.papel };
}
