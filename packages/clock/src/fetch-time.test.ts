import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { build } from 'esbuild';
import { createFetchTime, fromTimeResponse, timeUrl, type FetchLike } from './fetch-time.js';
import { createClockSync } from './sync.js';

test('when /time answers the scheduler body, then its receive and transmit stamps become t1 and t2', () => {
  assert.deepEqual(
    fromTimeResponse({
      server_time_utc: '2026-11-23T13:12:40.138Z',
      epoch_ms: 1795439560138.75,
      recebido_epoch_ms: 1795439560138.5,
      enviado_epoch_ms: 1795439560138.75,
    }),
    { t1: 1795439560138.5, t2: 1795439560138.75 },
  );
});

test('when /time answers garbage, then fromTimeResponse throws', () => {
  const good = { recebido_epoch_ms: 1_000, enviado_epoch_ms: 1_001 };
  const garbage: [unknown, RegExp][] = [
    [null, /JSON object/],
    ['{"recebido_epoch_ms":1}', /JSON object/],
    [[1, 2], /JSON object/],
    [{ enviado_epoch_ms: 1 }, /recebido_epoch_ms must be a number, got undefined/],
    [{ ...good, enviado_epoch_ms: '1001' }, /enviado_epoch_ms must be a number, got string/],
    [{ ...good, recebido_epoch_ms: null }, /recebido_epoch_ms must be a number, got null/],
    [{ ...good, recebido_epoch_ms: Number.NaN }, /not a valid epoch/],
    [{ ...good, enviado_epoch_ms: Infinity }, /not a valid epoch/],
    [{ ...good, enviado_epoch_ms: 1e300 }, /not a valid epoch/],
    [{ recebido_epoch_ms: 1_001, enviado_epoch_ms: 1_000 }, /precedes/],
  ];
  for (const [json, message] of garbage) {
    assert.throws(() => fromTimeResponse(json), message, JSON.stringify(json));
  }
});

test('when given a base URL or the /time URL itself, then the request goes to /time', () => {
  assert.equal(timeUrl('http://localhost:5000'), 'http://localhost:5000/time');
  assert.equal(timeUrl('http://localhost:5000/'), 'http://localhost:5000/time');
  assert.equal(timeUrl('https://sctec.example/api/'), 'https://sctec.example/api/time');
  assert.equal(timeUrl('http://localhost:5000/time'), 'http://localhost:5000/time');
  assert.equal(timeUrl(new URL('http://h/x/time?probe=1')), 'http://h/x/time?probe=1');
  // Without a page location (Node), a relative URL cannot be resolved.
  assert.throws(() => timeUrl('/time'), TypeError);
});

test('when fetching, then it asks for an uncached GET with the abort signal, and rejects non-2xx answers', async () => {
  const calls: { url: string; init: Parameters<FetchLike>[1] }[] = [];
  let status = 200;
  const fakeFetch: FetchLike = (url, init) => {
    calls.push({ url, init });
    return Promise.resolve({
      ok: status >= 200 && status < 300,
      status,
      json: () => Promise.resolve({ recebido_epoch_ms: 10, enviado_epoch_ms: 12 }),
    });
  };
  const fetchTime = createFetchTime('http://sched:5000', fakeFetch);
  const controller = new AbortController();
  assert.deepEqual(await fetchTime(controller.signal), { t1: 10, t2: 12 });
  const call = calls[0];
  assert.ok(call);
  assert.equal(call.url, 'http://sched:5000/time');
  assert.equal(call.init.method, 'GET');
  assert.equal(call.init.cache, 'no-store');
  assert.equal(call.init.headers['accept'], 'application/json');
  assert.equal(call.init.signal, controller.signal);
  status = 503;
  await assert.rejects(fetchTime(controller.signal), /answered HTTP 503/);
});

test('when syncing over real HTTP against a server 987 654.321 ms ahead, then now() is within the bound of the server clock', async (t) => {
  const skew = 987_654.321;
  // Sub-millisecond server clock, like the scheduler's precise wall clock.
  const serverNow = (): number => performance.timeOrigin + performance.now() + skew;
  const server = createServer((request, response) => {
    const received = serverNow();
    if (request.url !== '/time') {
      response.writeHead(404).end();
      return;
    }
    const sent = serverNow();
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(
      JSON.stringify({
        server_time_utc: new Date(Math.floor(sent)).toISOString(),
        epoch_ms: sent,
        recebido_epoch_ms: received,
        enviado_epoch_ms: sent,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;

  // Real clocks and timers: performance.now(), Date.now(), global fetch and setTimeout.
  const clock = createClockSync({
    fetchTime: createFetchTime(`http://127.0.0.1:${port}`),
    samples: 6,
    spacingMs: 5,
  });
  const result = await clock.sync();
  assert.equal(result.ok, true, JSON.stringify(result.outcomes));
  assert.equal(result.samples_ok, 6);
  const estimate = clock.nowWithBound();
  const truth = serverNow();
  assert.ok(
    Math.abs(estimate.now_ms - truth) <= estimate.bound_ms,
    `${estimate.now_ms - truth} vs ${estimate.bound_ms}`,
  );
  // offset_ms is relative to Date.now() as read at the anchor, which truncates to the millisecond.
  const state = clock.state();
  assert.ok(Math.abs(state.offset_ms - skew) <= state.bound_ms + 1, `${state.offset_ms} ± ${state.bound_ms}`);

  const broken = createClockSync({
    fetchTime: createFetchTime(`http://127.0.0.1:${port}/nope/time`),
    samples: 2,
  });
  const failed = await broken.sync();
  assert.equal(failed.ok, false);
  assert.match(failed.outcomes[0]?.ok === false ? failed.outcomes[0].detail : '', /HTTP 404/);
});

test('when bundled for the browser, then the library needs nothing from Node', async () => {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['es2022'],
    write: false,
    logLevel: 'silent',
    minify: true, // drops comments, keeps global and exported names
  });
  assert.equal(bundle.errors.length, 0);
  const code = bundle.outputFiles[0]?.text ?? '';
  assert.match(code, /createClockSync/);
  assert.doesNotMatch(code, /\bnode:|\bprocess\.|\brequire\(/);
});
