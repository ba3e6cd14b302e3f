import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

let echo: Server;
let proxy: TcpProxy;
const clients: Socket[] = [];

before(async () => {
  echo = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  proxy = await startTcpProxy({ targetHost: '127.0.0.1', targetPort: (echo.address() as AddressInfo).port });
});

after(async () => {
  for (const client of clients) client.destroy();
  await proxy.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

async function client(): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port: proxy.port });
  socket.on('error', () => undefined);
  clients.push(socket);
  await once(socket, 'connect');
  return socket;
}

async function roundTrip(socket: Socket, text: string): Promise<string> {
  socket.write(text);
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  return chunk.toString('utf8');
}

test('when the proxy forwards, then bytes reach the target and come back', async () => {
  const socket = await client();
  assert.equal(await roundTrip(socket, 'olá'), 'olá');
});

test('when the proxy is paused, then nothing comes back until it resumes, and the socket stays open', async () => {
  const socket = await client();
  assert.equal(await roundTrip(socket, 'a'), 'a');
  proxy.pause();
  const chunks: Buffer[] = [];
  const received = (): string => Buffer.concat(chunks).toString('utf8');
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.write('held');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(received(), '');
  assert.equal(socket.destroyed, false);
  proxy.resume();
  while (received() !== 'held') await once(socket, 'data');
});

test('when every connection is cut, then open sockets close and new ones are still accepted', async () => {
  const socket = await client();
  const closed = once(socket, 'close');
  proxy.cutAll();
  await closed;
  const next = await client();
  assert.equal(await roundTrip(next, 'b'), 'b');
});

test('when the proxy refuses, then new connections close at once; when it stops refusing, they work again', async () => {
  proxy.refuse(true);
  const socket = connect({ host: '127.0.0.1', port: proxy.port });
  socket.on('error', () => undefined);
  clients.push(socket);
  await once(socket, 'close');
  proxy.refuse(false);
  const next = await client();
  assert.equal(await roundTrip(next, 'c'), 'c');
});
