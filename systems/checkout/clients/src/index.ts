/**
 * Clients of the checkout services: each port of @dslab/checkout-contracts over gRPC and over
 * REST (same values, same AppErrors), and the codec between port values and proto messages that
 * the services' gRPC entry points use too.
 */
import type {
  CatalogoPort,
  EstoquePort,
  FiscalPort,
  LogisticaPort,
  PagamentosPort,
  PedidosPort,
} from '@dslab/checkout-contracts';
import {
  createGrpcCatalogoClient,
  createGrpcEstoqueClient,
  createGrpcFiscalClient,
  createGrpcLogisticaClient,
  createGrpcPagamentosClient,
  createGrpcPedidosClient,
} from './grpc.js';
import {
  createRestCatalogoClient,
  createRestEstoqueClient,
  createRestFiscalClient,
  createRestLogisticaClient,
  createRestPagamentosClient,
  createRestPedidosClient,
} from './rest.js';
import type { PortClient } from './types.js';

export * from './codec.js';
export {
  createGrpcCatalogoClient,
  createGrpcEstoqueClient,
  createGrpcFiscalClient,
  createGrpcLogisticaClient,
  createGrpcPagamentosClient,
  createGrpcPedidosClient,
} from './grpc.js';
export {
  createRestCatalogoClient,
  createRestEstoqueClient,
  createRestFiscalClient,
  createRestLogisticaClient,
  createRestPagamentosClient,
  createRestPedidosClient,
} from './rest.js';
export type { PortClient } from './types.js';

/** Each checkout service and the port it serves. */
export interface CheckoutPorts {
  catalogo: CatalogoPort;
  estoque: EstoquePort;
  pagamentos: PagamentosPort;
  fiscal: FiscalPort;
  logistica: LogisticaPort;
  pedidos: PedidosPort;
}
export type CheckoutServiceName = keyof CheckoutPorts;
export type Transport = 'grpc' | 'rest';

/**
 * Where a neighbour listens: `host:port` for gRPC or a base URL for REST, or both (the one the
 * transport needs is taken).
 */
export type NeighbourAddress = string | { readonly grpc: string; readonly http: string };

export type CheckoutClients<K extends CheckoutServiceName> = {
  readonly [S in K]: PortClient<CheckoutPorts[S]>;
};

const factories: {
  readonly [S in CheckoutServiceName]: Readonly<
    Record<Transport, (address: string) => PortClient<CheckoutPorts[S]>>
  >;
} = {
  catalogo: { grpc: createGrpcCatalogoClient, rest: createRestCatalogoClient },
  estoque: { grpc: createGrpcEstoqueClient, rest: createRestEstoqueClient },
  pagamentos: { grpc: createGrpcPagamentosClient, rest: createRestPagamentosClient },
  fiscal: { grpc: createGrpcFiscalClient, rest: createRestFiscalClient },
  logistica: { grpc: createGrpcLogisticaClient, rest: createRestLogisticaClient },
  pedidos: { grpc: createGrpcPedidosClient, rest: createRestPedidosClient },
};

function create<S extends CheckoutServiceName>(
  service: S,
  transport: Transport,
  address: NeighbourAddress,
): PortClient<CheckoutPorts[S]> {
  const where = typeof address === 'string' ? address : transport === 'grpc' ? address.grpc : address.http;
  return factories[service][transport](where);
}

/**
 * One client per named neighbour, all over `transport`, e.g.
 * `createClients('grpc', { pagamentos: '127.0.0.1:50052', estoque: '127.0.0.1:50053' })`.
 * Close them with `closeClients`.
 */
export function createClients<K extends CheckoutServiceName>(
  transport: Transport,
  addresses: { readonly [S in K]: NeighbourAddress },
): CheckoutClients<K> {
  const clients: Partial<Record<CheckoutServiceName, unknown>> = {};
  for (const service of Object.keys(addresses) as K[]) {
    clients[service] = create(service, transport, addresses[service]);
  }
  return clients as CheckoutClients<K>;
}

/** Closes every client made by createClients. */
export async function closeClients(clients: Partial<CheckoutClients<CheckoutServiceName>>): Promise<void> {
  const all: ({ close(): Promise<void> } | undefined)[] = Object.values(clients);
  await Promise.all(all.flatMap((client) => (client === undefined ? [] : [client.close()])));
}
