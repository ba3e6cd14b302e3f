import { AppError } from './app-error.js';
import { errorCatalog, type ErrorCode } from './catalog.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** RFC 9457 problem document as dslab writes it. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  [extension: string]: unknown;
}

export function problemTypeUri(code: ErrorCode): string {
  return `urn:dslab:problem:${code}`;
}

/** Extension names a caller may not override: they belong to RFC 9457 itself. */
const reserved = new Set(['type', 'title', 'status', 'detail', 'code', 'instance']);

export function toProblem(error: AppError, instance?: string): ProblemDocument {
  const kind = errorCatalog[error.code];
  const doc: ProblemDocument = {
    type: problemTypeUri(error.code),
    title: kind.title,
    status: kind.status,
    detail: error.detail,
    code: error.code,
  };
  if (instance !== undefined) doc.instance = instance;
  for (const [key, value] of Object.entries(error.extensions)) {
    if (!reserved.has(key)) doc[key] = value;
  }
  return doc;
}
