import type { AddressInfo } from 'node:net';

interface Listenable {
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<unknown>;
  server: { address(): AddressInfo | string | null };
}

/** Starts an app (built by buildApp, never listening by itself) on a free port of 127.0.0.1. */
export async function startOnFreePort(
  app: Listenable,
): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    close: async () => {
      await app.close();
    },
  };
}
