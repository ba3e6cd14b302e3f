export {
  errorCatalog,
  GrpcStatus,
  isErrorCode,
  type ErrorCode,
  type ErrorKind,
  type GrpcStatusName,
} from './catalog.js';
export { AppError, invalidFields, isAppError, type FieldError, type ProblemExtensions } from './app-error.js';
export { PROBLEM_CONTENT_TYPE, problemTypeUri, toProblem, type ProblemDocument } from './problem.js';
