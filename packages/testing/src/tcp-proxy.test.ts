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

test('when the proxy delays, then a round trip takes at least twice the delay and the bytes arrive in order', async () => {
  const slow = await startTcpProxy({
    targetHost: '127.0.0.1',
    targetPort: (echo.address() as AddressInfo).port,
    delayMs: 100,
  });
  try {
    const socket = connect({ host: '127.0.0.1', port: slow.port });
    socket.on('error', () => undefined);
    clients.push(socket);
    await once(socket, 'connect');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const received = (): string => Buffer.concat(chunks).toString('utf8');

    const started = performance.now();
    socket.write('ping');
    while (received() !== 'ping') await once(socket, 'data');
    assert.ok(performance.now() - started >= 200, `round trip took ${performance.now() - started} ms`);

    // The first chunk waits 300 ms; the delay then drops to 0, and the later ones still queue behind it.
    chunks.length = 0;
    slow.setDelay(300);
    const sentA = performance.now();
    socket.write('a');
    // Let 'a' reach the proxy (and be queued for 300 ms) before the delay drops.
    await new Promise((resolve) => setTimeout(resolve, 50));
    slow.setDelay(0);
    const expected = Array.from({ length: 50 }, (_, i) => `-${i}`).join('');
    for (let i = 0; i < 50; i++) socket.write(`-${i}`);
    while (received().length < 1 + expected.length) await once(socket, 'data');
    assert.equal(received(), `a${expected}`);
    assert.ok(performance.now() - sentA >= 300, `'a' came back after ${performance.now() - sentA} ms`);
    assert.equal(slow.delayMs, 0);
    assert.throws(() => slow.setDelay(-1), /≥ 0/);
  } finally {
    await slow.close();
  }
});

test('when a delaying proxy is paused, then the delayed bytes wait for resume too', async () => {
  const slow = await startTcpProxy({
    targetHost: '127.0.0.1',
    targetPort: (echo.address() as AddressInfo).port,
    delayMs: 50,
  });
  try {
    const socket = connect({ host: '127.0.0.1', port: slow.port });
    socket.on('error', () => undefined);
    clients.push(socket);
    await once(socket, 'connect');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.write('held');
    // Queued in the proxy on its way to the echo server, then blackholed before it is due.
    await new Promise((resolve) => setTimeout(resolve, 10));
    slow.pause();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(Buffer.concat(chunks).toString('utf8'), '');
    slow.resume();
    while (Buffer.concat(chunks).toString('utf8') !== 'held') await once(socket, 'data');
  } finally {
    await slow.close();
  }
});
