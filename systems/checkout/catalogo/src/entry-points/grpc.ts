import {
  listarProdutosQueryFromProto,
  produtoInfoToProto,
  produtoPrecoToProto,
} from '@dslab/checkout-clients';
import type { CatalogoServer } from '@dslab/checkout-contracts';
import { unaryHandlers } from '@dslab/checkout-kit';
import type { UnaryHandlerOptions } from '@dslab/grpc-kit';
import type { Logger } from '@dslab/logging';
import type { CatalogoService } from '../application/catalogo-service.js';
import { DEFAULT_LIMIT } from '../domain/query.js';

/**
 * The `Catalogo` gRPC service over the same application layer as the REST routes:
 * `somente_em_estoque` true lists products in stock, false lists all; `limit` 0 (the proto3
 * default) is the default page size. Out-of-range values are INVALID_ARGUMENT.
 */
export function catalogoGrpcHandlers(
  service: CatalogoService,
  logger: Logger,
  options: UnaryHandlerOptions = {},
): CatalogoServer {
  return unaryHandlers<CatalogoServer>(
    logger,
    {
      listarProdutos: async (request, ctx) => {
        const query = listarProdutosQueryFromProto(request);
        const { produtos, total } = await service.listarProdutos(
          { ...query, limit: query.limit === 0 ? DEFAULT_LIMIT : query.limit },
          ctx,
        );
        return { produtos: produtos.map(produtoInfoToProto), total };
      },
      obterProdutos: async (request, ctx) => ({
        produtos: (await service.obterProdutos(request.ids, ctx)).map(produtoPrecoToProto),
      }),
    },
    options,
  );
}
