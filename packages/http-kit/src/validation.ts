import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FieldError } from '@dslab/errors';
import type { FastifySchemaCompiler } from 'fastify';

export type { FieldError };

// ajv-formats is CommonJS with a default export; under NodeNext its namespace needs unwrapping.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Two validators: bodies are JSON, so their types must be exact ("5" is not a number and
 * unknown fields are refused); query strings, params and headers arrive as text, so they
 * are coerced to the declared types.
 */
function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
    ...options,
  });
  addFormats(ajv);
  return ajv;
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const forBody = makeAjv({ coerceTypes: false });
  const forText = makeAjv({ coerceTypes: 'array' });
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? forBody : forText;
    return ajv.compile(schema as object);
  };
}

/** ajv errors → short, human-readable field errors. */
export function describeValidationErrors(errors: ErrorObject[], part: string): FieldError[] {
  return errors.map((error) => {
    let path = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'required') {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      path = path ? `${path}.${missing}` : missing;
      message = 'is required';
    } else if (error.keyword === 'additionalProperties') {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      path = path ? `${path}.${extra}` : extra;
      message = 'is not a known field';
    } else if (error.keyword === 'enum') {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    return { field: path ? `${part}.${path}` : part, message };
  });
}
