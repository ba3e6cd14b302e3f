/**
 * The six checkout services, their default ports and database names: one table that the
 * settings, the launcher, the Compose file and the docs agree on (docs/checkout.md).
 */
export const CHECKOUT_SERVICES = [
  'pedidos',
  'pagamentos',
  'estoque',
  'fiscal',
  'logistica',
  'catalogo',
] as const;
export type CheckoutService = (typeof CHECKOUT_SERVICES)[number];

export interface ServicePorts {
  readonly http: number;
  readonly grpc: number;
}

export const DEFAULT_PORTS: Readonly<Record<CheckoutService, ServicePorts>> = {
  pedidos: { http: 8101, grpc: 50051 },
  pagamentos: { http: 8102, grpc: 50052 },
  estoque: { http: 8103, grpc: 50053 },
  fiscal: { http: 8104, grpc: 50054 },
  logistica: { http: 8105, grpc: 50055 },
  catalogo: { http: 8106, grpc: 50056 },
};

/** The transports the services call each other over. */
export const TRANSPORTS = ['grpc', 'rest'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** Environment prefix of a neighbour's address settings, e.g. PAGAMENTOS_HTTP_URL. */
export function envPrefix(service: CheckoutService): string {
  return service.toUpperCase();
}
