// How the scheduler serves the web client: content negotiation on GET /, the /app/ files with
// their caching headers, and the page shown when the client was never built.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call } from '@dslab/testing';
import { acceptQuality, prefersHtml } from '../servico-agendamento/src/entry-points/http/routes-web.js';
import { startScheduler, type Sctec } from '../test/harness.js';

const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8';
// Nothing here books, so no coordinator is needed.
const NO_COORDINATOR = 'http://127.0.0.1:9';

describe('content negotiation on Accept', () => {
  test('browsers prefer the page; API clients, curl, fetch and no Accept get JSON', () => {
    assert.equal(prefersHtml(BROWSER_ACCEPT), true);
    assert.equal(prefersHtml('text/html'), true);
    assert.equal(prefersHtml(undefined), false);
    assert.equal(prefersHtml(''), false);
    assert.equal(prefersHtml('*/*'), false);
    assert.equal(prefersHtml('application/json'), false);
    assert.equal(prefersHtml('application/hal+json, application/json;q=0.9'), false);
    assert.equal(prefersHtml('text/html;q=0.5, application/json'), false);
    assert.equal(prefersHtml('application/json;q=0.2, text/*'), true);
    assert.equal(prefersHtml('text/html;q=0, */*'), false);
  });

  test('the most specific range decides the quality (RFC 9110 §12.5.1)', () => {
    assert.equal(acceptQuality('text/*;q=0.3, text/html;q=0.7, */*;q=0.1', 'text/html'), 0.7);
    assert.equal(acceptQuality('text/*;q=0.3, text/html;q=0.7, */*;q=0.1', 'text/plain'), 0.3);
    assert.equal(acceptQuality('text/*;q=0.3, text/html;q=0.7, */*;q=0.1', 'application/json'), 0.1);
    assert.equal(acceptQuality('image/png', 'application/json'), 0);
    assert.equal(acceptQuality('TEXT/HTML; Q=0.5', 'text/html'), 0.5);
  });
});

describe('the scheduler serving a built web client', () => {
  let sctec: Sctec | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'web-dist-'));
  const js = 'console.log("sctec");\n';
  const jsHash = createHash('sha256').update(js).digest('hex').slice(0, 16);
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>SCTEC</title><p>cliente</p>\n');
  writeFileSync(join(dir, 'app.js'), js);
  writeFileSync(join(dir, 'app.css'), 'body{margin:0}\n');
  writeFileSync(join(dir, '.secret.js'), 'hidden');
  before(async () => {
    sctec = await startScheduler({ engine: 'sqlite', coordinatorUrl: NO_COORDINATOR, webClientDir: dir });
  });
  after(async () => {
    await sctec?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const get = (path: string, headers: Record<string, string> = {}) => {
    assert.ok(sctec);
    return call(sctec.url, 'GET', path, { headers });
  };

  test('GET / answers index.html to a browser and the HAL root to everyone else, with Vary: Accept', async () => {
    const page = await get('/', { accept: BROWSER_ACCEPT });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.text, /cliente/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(String(page.headers.vary), /accept/i);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    for (const accept of [undefined, '*/*', 'application/json', 'application/hal+json']) {
      const root = await get('/', accept === undefined ? {} : { accept });
      assert.equal(root.status, 200, String(accept));
      assert.match(String(root.headers['content-type']), /^application\/json/);
      assert.equal((root.body as { servico: string }).servico, 'servico-agendamento');
      assert.match(String(root.headers.vary), /accept/i);
      assert.match(String(root.headers.vary), /authorization/i);
    }
  });

  test('the files are served under /app/ with their types; a versioned URL is immutable, others revalidate', async () => {
    const plain = await get('/app/app.js');
    assert.equal(plain.status, 200);
    assert.match(String(plain.headers['content-type']), /^text\/javascript/);
    assert.equal(plain.text, js);
    assert.equal(plain.headers['cache-control'], 'no-cache');
    assert.equal(plain.headers.etag, `"${jsHash}"`);
    const versioned = await get(`/app/app.js?v=${jsHash}`);
    assert.equal(versioned.headers['cache-control'], 'public, max-age=31536000, immutable');
    const stale = await get('/app/app.js?v=0000000000000000');
    assert.equal(stale.headers['cache-control'], 'no-cache');
    const css = await get('/app/app.css');
    assert.match(String(css.headers['content-type']), /^text\/css/);
    const revalidated = await get('/app/app.js', { 'if-none-match': `"${jsHash}"` });
    assert.equal(revalidated.status, 304);
    assert.equal(revalidated.text, '');
    const index = await get('/app/', { accept: BROWSER_ACCEPT });
    assert.match(index.text, /cliente/);
  });

  test('nothing outside the folder, no dot-file and no unknown file can be named', async () => {
    for (const path of [
      '/app/.secret.js',
      '/app/..%2Fpackage.json',
      '/app/%2e%2e%2fapp.js',
      '/app/nope.js',
    ]) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    }
  });
});

test('when the web client was never built, a browser gets a page saying how to build it (never a 500)', async () => {
  const missing = join(tmpdir(), `no-web-client-${process.pid}`);
  const sctec = await startScheduler({
    engine: 'sqlite',
    coordinatorUrl: NO_COORDINATOR,
    webClientDir: missing,
  });
  try {
    const page = await call(sctec.url, 'GET', '/', { headers: { accept: BROWSER_ACCEPT } });
    assert.equal(page.status, 503);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.text, /npm run build:web/);
    const root = await call(sctec.url, 'GET', '/', { headers: { accept: 'application/json' } });
    assert.equal(root.status, 200);
    assert.equal((await call(sctec.url, 'GET', '/app/app.js')).status, 404);
  } finally {
    await sctec.close();
  }
});
