import type * as grpc from '@grpc/grpc-js';
import { unaryHandler, type HandlerContext, type UnaryHandlerOptions } from '@dslab/grpc-kit';
import type { Logger } from '@dslab/logging';

/**
 * The methods of a generated gRPC server interface (`FiscalServer`, `EstoqueServer`, …) as plain
 * async functions of the decoded request and the call's context (deadline, trace id).
 */
export type UnaryMethods<S> = {
  readonly [K in keyof S as string extends K ? never : K]: S[K] extends grpc.handleUnaryCall<
    infer Req,
    infer Res
  >
    ? (request: Req, ctx: HandlerContext) => Promise<Res>
    : never;
};

/**
 * A checkout service's gRPC handlers (src/entry-points/grpc.ts): each method wrapped by grpc-kit's
 * unaryHandler (deadline and trace id read from the call, catalog errors answered as their status
 * with `problem-bin`), all with the same deadline settings (grpc-kit's defaults when none).
 */
export function unaryHandlers<S>(
  logger: Logger,
  methods: UnaryMethods<S>,
  options: UnaryHandlerOptions = {},
): S {
  const handlers: Record<string, grpc.handleUnaryCall<unknown, unknown>> = {};
  const entries = Object.entries<(request: unknown, ctx: HandlerContext) => Promise<unknown>>(methods);
  for (const [name, method] of entries) handlers[name] = unaryHandler(logger, method, options);
  return handlers as S;
}
