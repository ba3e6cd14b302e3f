/**
 * Hello-world servers to measure next to every figure, in the same run on the same machine:
 * what the HTTP stack alone costs, so a report can give each rate as a ratio to it.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@dslab/testing';
import { REPOSITORY_ROOT } from './output.js';
import { startNodeService, type BenchProcess } from './processes.js';

/** `fastify`: an empty handler on bare Fastify; `http-kit`: the same on the platform's http-kit. */
export type HelloWorldServer = 'fastify' | 'http-kit';

const ENTRIES: Record<HelloWorldServer, string> = {
  fastify: fileURLToPath(new URL('./hello-server.ts', import.meta.url)),
  'http-kit': fileURLToPath(new URL('./http-kit-hello-server.ts', import.meta.url)),
};

/** The server's source file relative to the repository root, for reports to name it. */
export function helloWorldSource(server: HelloWorldServer = 'fastify'): string {
  return relative(REPOSITORY_ROOT, ENTRIES[server]);
}

/** Starts a hello-world server on a free port of 127.0.0.1 and waits until it is healthy. */
export async function startHelloWorld(options: {
  /** The process's name in samples and errors. */
  name: string;
  server?: HelloWorldServer;
  /** Its stdout and stderr. */
  logFile: string;
  /** Its environment (PORT and HOST are set here). */
  env: NodeJS.ProcessEnv;
}): Promise<BenchProcess> {
  const port = await freePort();
  return startNodeService({
    name: options.name,
    entry: ENTRIES[options.server ?? 'fastify'],
    port,
    logFile: options.logFile,
    env: { ...options.env, PORT: String(port), HOST: '127.0.0.1' },
  });
}
