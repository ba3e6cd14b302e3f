import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, describe, test } from 'node:test';
import { freePort } from '@dslab/testing';
import { Agent, request } from 'undici';
import { startBalancer } from './balancer.js';

async function namedServer(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0 };
}

/** A fresh connection per request, so each one is balanced on its own. */
async function ask(url: string): Promise<string> {
  const agent = new Agent({ pipelining: 0 });
  try {
    const response = await request(url, { dispatcher: agent });
    return await response.body.text();
  } finally {
    await agent.close();
  }
}

describe('the round-robin balancer in front of replicas', () => {
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) server.close();
  });

  test('when connections arrive, then they rotate over the replicas', async () => {
    const a = await namedServer('a');
    const b = await namedServer('b');
    servers.push(a.server, b.server);
    const balancer = await startBalancer({
      backends: [
        { host: '127.0.0.1', port: a.port },
        { host: '127.0.0.1', port: b.port },
      ],
    });
    try {
      const answers = [];
      for (let i = 0; i < 6; i++) answers.push(await ask(balancer.url));
      assert.deepEqual(answers.sort(), ['a', 'a', 'a', 'b', 'b', 'b']);
    } finally {
      await balancer.close();
    }
  });

  test('when a replica is down, then every connection is served by the live one', async () => {
    const live = await namedServer('live');
    servers.push(live.server);
    const deadPort = await freePort();
    const balancer = await startBalancer({
      backends: [
        { host: '127.0.0.1', port: deadPort },
        { host: '127.0.0.1', port: live.port },
      ],
    });
    try {
      const answers = await Promise.all(Array.from({ length: 8 }, () => ask(balancer.url)));
      assert.deepEqual(
        answers,
        Array.from({ length: 8 }, () => 'live'),
      );
      assert.deepEqual(balancer.stats(), { [`127.0.0.1:${live.port}`]: 8 });
    } finally {
      await balancer.close();
    }
  });

  test('when no replica is up, then the client connection is closed instead of hanging', async () => {
    const balancer = await startBalancer({ backends: [{ host: '127.0.0.1', port: await freePort() }] });
    try {
      await assert.rejects(ask(balancer.url));
    } finally {
      await balancer.close();
    }
  });
});
