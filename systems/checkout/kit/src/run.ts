import type * as grpc from '@grpc/grpc-js';
import { createGrpcServer, listenGrpc, stopGrpc } from '@dslab/grpc-kit';
import { serve, type HttpApp } from '@dslab/http-kit';
import type { Logger } from '@dslab/logging';
import type { CheckoutService } from './services.js';

/** What every checkout service's buildApp returns: one application layer behind two transports. */
export interface CheckoutApp {
  readonly http: HttpApp;
  readonly grpc: {
    readonly definition: grpc.ServiceDefinition;
    readonly handlers: grpc.UntypedServiceImplementation;
  };
  /** Releases what buildApp opened itself (clients to neighbours, timers); never the database. */
  close(): Promise<void>;
}

export interface ListeningApp {
  readonly httpUrl: string;
  /** host:port of the gRPC server. */
  readonly grpcAddress: string;
  /** Stops both servers and closes the app (tests; main.ts goes through runCheckoutService). */
  close(): Promise<void>;
}

/** Listens on both transports; port 0 picks free ports (tests). */
export async function listenCheckoutApp(
  app: CheckoutApp,
  options: { host?: string; httpPort?: number; grpcPort?: number } = {},
): Promise<ListeningApp> {
  const host = options.host ?? '127.0.0.1';
  const server = createGrpcServer();
  server.addService(app.grpc.definition, app.grpc.handlers);
  const grpcPort = await listenGrpc(server, host, options.grpcPort ?? 0);
  let httpUrl: string;
  try {
    httpUrl = await app.http.listen({ host, port: options.httpPort ?? 0 });
  } catch (error) {
    await stopGrpc(server, 1000);
    throw error;
  }
  return {
    httpUrl,
    grpcAddress: `${host}:${grpcPort}`,
    async close() {
      await Promise.all([stopGrpc(server, 2000), app.http.close()]);
      await app.close();
    },
  };
}

/**
 * main.ts's last step: listens on both transports, prints where, and on SIGTERM/SIGINT stops
 * accepting, lets in-flight calls finish, stops gRPC, closes the app, then runs `onShutdown`
 * (closing the database).
 */
export async function runCheckoutService(
  app: CheckoutApp,
  options: {
    service: CheckoutService;
    host: string;
    httpPort: number;
    grpcPort: number;
    logger: Logger;
    onShutdown?: () => Promise<void>;
  },
): Promise<{ readonly httpUrl: string; readonly grpcAddress: string }> {
  const server = createGrpcServer();
  server.addService(app.grpc.definition, app.grpc.handlers);
  const grpcPort = await listenGrpc(server, options.host, options.grpcPort);
  const httpUrl = await serve(app.http, {
    port: options.httpPort,
    host: options.host,
    logger: options.logger,
    onShutdown: async () => {
      await stopGrpc(server, 5000);
      await app.close();
      await options.onShutdown?.();
    },
  });
  const grpcAddress = `${options.host}:${grpcPort}`;
  options.logger.info(`Serviço ${options.service} pronto: REST em ${httpUrl}, gRPC em ${grpcAddress}`);
  return { httpUrl, grpcAddress };
}
