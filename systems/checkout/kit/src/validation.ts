import { AppError } from '@dslab/errors';

/** A problem with one field as the checkout domains report it. */
export interface DomainFieldError {
  readonly field: string;
  readonly reason: string;
}

/**
 * The one `validation-failed` error of the checkout services: the domain validators' errors in
 * the shape the HTTP schema layer already uses (`errors: [{ field, message }]`, see http-kit), so a
 * client reads one shape whichever layer refused the request.
 */
export function validationFailed(errors: readonly DomainFieldError[]): AppError {
  return new AppError('validation-failed', errors.map((e) => e.reason).join('; '), {
    extensions: { errors: errors.map((e) => ({ field: e.field, message: e.reason })) },
  });
}
