export { createHttpApp, type HealthCheck, type HttpApp, type HttpAppOptions } from './app.js';
export { installProblemHandlers, sendProblem, toAppError } from './errors.js';
export { serve, type ServeOptions } from './serve.js';
export { describeValidationErrors, type FieldError } from './validation.js';
export { problemSchema, problemResponses } from './schemas.js';
export {
  callContextFromRequest,
  remainingMs,
  TIMEOUT_HEADER,
  type CallContext,
  type DeadlineSettings,
  type RequestWithTrace,
} from './deadline.js';
export {
  createServiceClient,
  type HttpMethod,
  type QueryValue,
  type ServiceClient,
  type ServiceClientOptions,
  type ServiceRequestOptions,
  type ServiceResponse,
} from './service-client.js';
