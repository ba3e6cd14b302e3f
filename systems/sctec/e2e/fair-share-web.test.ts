/**
 * Fair share in the web client end to end (issue 9): a real coordinator process, the scheduler on
 * SQLite serving the freshly built client with live events (GET /eventos relays the coordinator's
 * stream), and Debian Chromium driven by playwright-core with one browser context per scientist.
 *
 * A books a slot; B asks for the same slot, is refused (409) and joins its waitlist through the
 * button the refusal offers; A cancels in the page; B's page shows the hold pushed live (with a
 * countdown on the server's clock) and confirms it; both boards show B's booking. Around that:
 * the quota next to the session, the signed receipt downloaded and verified by
 * `npm run receipt:verify`, the demand heat map, a hold that expires unconfirmed, leaving a
 * waitlist, and a 422 quota-exceeded. Screenshots: docs/screenshots/fair-share-*.png.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { call, type ServiceProcess } from '@dslab/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startCoordinatorProcess, startScheduler, type Sctec } from '../test/harness.js';
import { assertChromium, launchChromium } from './browser.js';
import { buildWebClient } from '../web-client/build.js';

const SCREENSHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const RECEIPT_VERIFY = fileURLToPath(
  new URL('../servico-agendamento/src/cli/receipt-verify.ts', import.meta.url),
);
/** Long enough for a hold to be seen and confirmed through the page, short enough to watch one expire. */
const HOLD_MS = 30_000;
const LIVE_WAIT_MS = 10_000;
const SENHA = 'senha-segura-1'; // the harness registers every scientist with it

interface BookingJson {
  id: number;
  cientista_id: number;
  horario_inicio_utc: string;
  status: string;
}

interface ProblemJson {
  code?: string;
  recibo?: string;
  _links?: { entrar_na_fila?: { href: string; method?: string }[] };
}

const slot = (page: Page, iso: string, state?: string) =>
  page.locator(`button.slot[data-slot="${iso}"]${state === undefined ? '' : `[data-state="${state}"]`}`);

const status = (page: Page, text: string | RegExp) => page.locator('#status', { hasText: text });

async function login(page: Page, email: string): Promise<void> {
  const form = page.locator('#login-form');
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="senha"]').fill(SENHA);
  await form.getByRole('button', { name: 'Entrar' }).click();
  await page.locator('#logout').waitFor({ state: 'visible', timeout: 10_000 });
}

describe('fair share in the web client: quota, waitlist with a live hold, receipts, demand heat map', () => {
  let coordinator: ServiceProcess | undefined;
  let sctec: Sctec | undefined;
  let browser: Browser | undefined;
  let webDir: string | undefined;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  let pageA: Page;
  let pageB: Page;
  let marie: { id: number; token: string; email: string };
  let yuki: { id: number; token: string; email: string };
  let vera: { id: number; token: string; email: string };
  let day: string;
  let contested: string;
  /** The quota numbers are those of the current month: only checked when the shown day is in it. */
  let sameMonth: boolean;

  const url = () => {
    assert.ok(sctec);
    return sctec.url;
  };
  const book = (token: string, inicio: string, fim?: string) =>
    call<BookingJson & ProblemJson>(url(), 'POST', '/agendamentos', {
      token,
      body: {
        telescopio_id: 'Hubble-Acad',
        horario_inicio_utc: inicio,
        ...(fim === undefined ? {} : { horario_fim_utc: fim }),
      },
    });
  const at = (hhmm: string) => `${day}T${hhmm}:00.000Z`;

  before(async () => {
    assertChromium();
    webDir = mkdtempSync(join(tmpdir(), 'fair-share-web-'));
    const built = await buildWebClient({ outDir: join(webDir, 'dist') });
    coordinator = await startCoordinatorProcess();
    sctec = await startScheduler({
      liveEvents: true,
      engine: 'sqlite',
      coordinatorUrl: coordinator.url,
      webClientDir: built.outDir,
      waitlist: { holdMs: HOLD_MS, sweepMs: 250 },
    });
    marie = await sctec.scientist('Marie Curie');
    yuki = await sctec.scientist('Yuki Tanaka');
    vera = await sctec.scientist('Vera Rubin');
    browser = await launchChromium();
    const open = async (timezoneId: string, who: string): Promise<Page> => {
      if (browser === undefined || sctec === undefined) throw new Error('not started');
      const context = await browser.newContext({
        locale: 'pt-BR',
        timezoneId,
        viewport: { width: 1360, height: 1000 },
        acceptDownloads: true,
      });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`${who}: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
          pageErrors.push(`${who}: ${message.text()}`);
        }
      });
      const response = await page.goto(`${sctec.url}/`);
      assert.equal(response?.status(), 200);
      await page.locator('#board button.slot').first().waitFor();
      return page;
    };
    pageA = await open('America/Sao_Paulo', 'A');
    pageB = await open('Asia/Tokyo', 'B');
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await sctec?.close();
    await coordinator?.stop();
    if (webDir !== undefined) rmSync(webDir, { recursive: true, force: true });
  });

  test('when A and B log in, then each sees their own quota next to the session', async () => {
    await login(pageA, marie.email);
    await login(pageB, yuki.email);
    for (const page of [pageA, pageB]) {
      await page.locator('#quota').waitFor({ state: 'visible' });
      assert.match(
        await page.locator('#quota').innerText(),
        /^Cota \d{4}-\d{2}: 0 de 600 min usados\s+600 min restantes$/,
      );
      assert.match(String(await page.locator('#quota').getAttribute('aria-label')), / · 600 min restantes$/);
      assert.ok(await page.locator('#waitlist-panel').isVisible());
      await page.locator('#live[data-mode="sse"]').waitFor({ timeout: LIVE_WAIT_MS });
    }
    day = await pageA.locator('#day').inputValue();
    assert.equal(await pageB.locator('#day').inputValue(), day);
    contested = at('10:00');
    sameMonth = day.slice(0, 7) === new Date().toISOString().slice(0, 7);
  });

  test('when A books a slot, then the quota counts 5 minutes and the signed receipt downloads and verifies', async () => {
    await slot(pageA, contested, 'free').click();
    await slot(pageA, contested, 'mine').waitFor({ timeout: 10_000 });
    await status(pageA, 'Agendamento confirmado').waitFor();
    assert.match(await pageA.locator('#status').innerText(), /Recibo assinado emitido/);
    if (sameMonth) {
      await pageA.locator('#quota[aria-label$=": 5 de 600 min usados · 595 min restantes"]').waitFor();
    }
    const receipt = pageA.locator('#receipt-panel');
    await receipt.waitFor({ state: 'visible' });
    assert.match(
      await receipt.locator('.receipt-summary').innerText(),
      /^Concedido \(agendamento nº \d+\): Hubble-Acad 10:00–10:05 UTC/,
    );
    assert.match(
      await receipt.locator('[data-verify]').innerText(),
      /^npm run receipt:verify -- recibo-.*\.jwt --jwks http/,
    );

    const [download] = await Promise.all([
      pageA.waitForEvent('download'),
      receipt.getByRole('link', { name: /Baixar recibo/ }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^recibo-Hubble-Acad-\d{8}T1000Z-concedido\.jwt$/);
    const file = join(webDir ?? tmpdir(), download.suggestedFilename());
    await download.saveAs(file);
    const jws = readFileSync(file, 'utf8');
    assert.match(jws, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', RECEIPT_VERIFY, file, '--jwks', `${url()}/.well-known/jwks.json`],
      { cwd: fileURLToPath(new URL('../../../', import.meta.url)) },
    );
    assert.ok(stdout.length > 0, 'receipt:verify printed its verdict');
  });

  test('when B asks for the same slot, then B is refused (409, with a receipt) and joins its waitlist through the button', async () => {
    await slot(pageB, contested, 'taken').waitFor({ timeout: LIVE_WAIT_MS });
    await slot(pageB, contested, 'taken').click();
    const ask = pageB
      .locator('#details')
      .getByRole('button', { name: /Tentar reservar o horário das 10:00 UTC/ });
    await ask.waitFor({ timeout: 10_000 });
    await ask.click();
    await status(pageB, /^Outro cientista reservou este horário primeiro\. Entre na fila de espera/).waitFor({
      timeout: 10_000,
    });
    await pageB
      .locator('#receipt-panel .receipt-summary', { hasText: /^Recusado \(horário já reservado/ })
      .waitFor();

    await pageB
      .locator('#status-actions')
      .getByRole('button', { name: /Entrar na fila de espera/ })
      .click();
    await status(pageB, /^Você entrou na fila de espera de .* 10:00–10:05 UTC \(posição 1\)/).waitFor({
      timeout: 10_000,
    });
    const entry = pageB.locator('#waitlist .waitlist-entry');
    await entry.waitFor();
    assert.match(await entry.innerText(), /10:00–10:05 UTC[\s\S]*posição 1 · aguardando/);
    assert.equal(
      await pageB.locator('#offers').isHidden(),
      true,
      'nothing is offered while A holds the slot',
    );
  });

  test('when A cancels in the page, then B sees the hold pushed live with a countdown, confirms it, and both boards show B’s booking', async () => {
    await slot(pageA, contested, 'mine').click();
    await pageA
      .locator('#details')
      .getByRole('button', { name: /Cancelar o agendamento das 10:00 UTC/ })
      .click();
    await status(pageA, 'Agendamento cancelado').waitFor({ timeout: 10_000 });
    if (sameMonth) {
      // Cancelled more than QUOTA_REFUND_NOTICE_HOURS (72 h) ahead? Tomorrow is not: no refund.
      await pageA.locator('#quota', { hasText: '5 de 600 min usados' }).waitFor();
      assert.match(await pageA.locator('#status').innerText(), /os minutos não voltam à cota/);
    }

    const offer = pageB.locator('#offers .offer-card');
    await offer.waitFor({ state: 'visible', timeout: LIVE_WAIT_MS });
    assert.match(await offer.innerText(), /Um horário da sua fila de espera foi liberado para você/);
    assert.match(await offer.locator('.offer-slot').innerText(), /Hubble.* · 10:00–10:05 UTC$/);
    await status(pageB, /^Um horário da sua fila de espera foi liberado para você/).waitFor();
    const timer = offer.getByRole('timer');
    const shown = await timer.innerText();
    assert.match(shown, /^0:\d{2}$/);
    const [m, s] = shown.split(':').map(Number);
    const left = ((m ?? 0) * 60 + (s ?? 0)) * 1000;
    assert.ok(left > 0 && left <= HOLD_MS, `countdown ${shown} within the ${HOLD_MS} ms hold`);
    assert.match(String(await timer.getAttribute('aria-label')), /segundos restantes$/);
    assert.match(await pageB.locator('#waitlist .waitlist-entry').innerText(), /horário oferecido a você/);
    // The booking B had open in the details was cancelled: it says so, and offers no attempt any more.
    await pageB.locator('#details .badge[data-status="cancelado"]').waitFor({ timeout: 5_000 });
    assert.equal(await pageB.locator('#details [data-action="tentar"]').count(), 0);

    await pageB.mouse.move(0, 0);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await pageB.screenshot({ path: join(SCREENSHOTS, 'fair-share-offer.png') });

    // Nobody else may book the held slot meanwhile: A's direct booking is refused as held.
    const held = await book(marie.token, contested);
    assert.equal(held.status, 409, held.text);
    assert.equal(held.body.code, 'slot-held');
    assert.equal(typeof held.body.recibo, 'string', 'a slot-held refusal carries its receipt');
    assert.equal(held.body._links?.entrar_na_fila?.length, 1, 'and the link to the slot’s waitlist');

    await offer.getByRole('button', { name: 'Confirmar' }).click();
    await status(pageB, /^Agendamento confirmado pela fila de espera: .* das 10:00 às 10:05 UTC/).waitFor({
      timeout: 10_000,
    });
    assert.match(await pageB.locator('#status').innerText(), /Recibo assinado emitido/);
    await slot(pageB, contested, 'mine').waitFor({ timeout: 10_000 });
    await pageB.locator('#offers').waitFor({ state: 'hidden' });
    await pageB.locator('#receipt-panel .receipt-summary', { hasText: /^Concedido/ }).waitFor();
    assert.equal(await pageB.locator('#waitlist .waitlist-entry').count(), 0);
    if (sameMonth) await pageB.locator('#quota', { hasText: '5 de 600 min usados' }).waitFor();
    await slot(pageA, contested, 'taken').waitFor({ timeout: LIVE_WAIT_MS });

    const listed = await call<{ _embedded: { agendamentos: BookingJson[] } }>(
      url(),
      'GET',
      `/agendamentos?telescopio_id=Hubble-Acad&status=ativo&de=${encodeURIComponent(contested)}&ate=${encodeURIComponent(at('10:05'))}`,
    );
    assert.deepEqual(
      listed.body._embedded.agendamentos.map((b) => b.cientista_id),
      [yuki.id],
    );
  });

  test('the heat map shows the contested slot’s attempts, with a legend and a title per cell', async () => {
    // A fuller day for the picture: a third scientist's bookings, and collisions on some of them.
    const others = [await sctec?.scientist('Andrea Ghez'), await sctec?.scientist('Jocelyn Bell')];
    for (const [start, end] of [
      ['03:00', '03:15'],
      ['14:30', '14:35'],
      ['21:45', '21:50'],
      ['10:30', '10:40'],
    ] as const) {
      assert.equal((await book(vera.token, at(start), at(end))).status, 201);
    }
    for (const other of others) {
      assert.ok(other);
      for (const start of ['03:05', '14:30', '10:30', '10:35']) {
        assert.equal((await book(other.token, at(start))).status, 409);
      }
    }
    // One of them waits for 14:30 (through the link of the refusal).
    const waiter = others[0];
    assert.ok(waiter);
    const refused = await book(waiter.token, at('14:30'));
    const joinLink = refused.body._links?.entrar_na_fila?.[0];
    assert.ok(joinLink);
    assert.equal(
      (await call(url(), joinLink.method ?? 'POST', joinLink.href, { token: waiter.token })).status,
      201,
    );
    // Refusals are not live events; one more booking is, and makes the page reload the demand.
    assert.equal((await book(vera.token, at('22:00'))).status, 201);
    const cell = pageA.locator(`#heatmap .heat-cell[data-slot="${contested}"]`);
    // The last change (the 22:00 booking's event) made the page reload the demand: wait for it.
    await pageA
      .locator(`#heatmap .heat-cell[data-slot="${at('22:00')}"][data-tentativas="1"]`)
      .waitFor({ timeout: LIVE_WAIT_MS });
    assert.equal(
      await pageA.locator(`#heatmap .heat-cell[data-slot="${at('10:30')}"]`).getAttribute('data-tentativas'),
      '3',
    );
    const waited = pageA.locator(`#heatmap .heat-cell[data-slot="${at('14:30')}"]`);
    assert.equal(await waited.getAttribute('data-aguardando'), '1');
    assert.equal(await waited.getAttribute('title'), '14:30 UTC: 4 tentativas, 1 na fila de espera, ocupado');
    const attempts = Number(await cell.getAttribute('data-tentativas'));
    assert.ok(attempts >= 2, `the contested slot shows ${attempts} attempts (A's win, B's loss at least)`);
    assert.notEqual(await cell.getAttribute('data-level'), '0');
    assert.match(
      String(await cell.getAttribute('title')),
      /^10:00 UTC: \d+ tentativas, 0 na fila de espera, ocupado$/,
    );
    assert.equal(await cell.getAttribute('title'), await cell.getAttribute('aria-label'));
    assert.equal(await pageA.locator('#heatmap .heat-cell').count(), 288);
    assert.equal(await pageA.locator('#heatmap [role="row"]').count(), 24);
    assert.equal(await pageA.locator('#heat-legend li').count(), 6);
    assert.match(
      (await pageA.locator('#heatmap').getAttribute('aria-label')) ?? '',
      /^Mapa de calor da demanda/,
    );
    assert.match(
      await pageA.locator('#demand-summary').innerText(),
      /^\d+ horários procurados: \d+ tentativas e 1 na fila de espera\. Mais disputados: /,
    );
    await pageA.mouse.move(0, 0);
    await pageA.locator('#demand-panel').screenshot({ path: join(SCREENSHOTS, 'fair-share-heatmap.png') });
  });

  test('when B lets a hold run out, then the offer leaves B’s page (ESPERA_EXPIRADA)', async () => {
    const late = at('12:00');
    const veraBooking = await book(vera.token, late);
    assert.equal(veraBooking.status, 201, veraBooking.text);
    const refused = await book(yuki.token, late);
    assert.equal(refused.status, 409);
    const joinLink = refused.body._links?.entrar_na_fila?.[0];
    assert.ok(joinLink, 'the 409 links to the waitlist');
    assert.equal(
      (await call(url(), joinLink.method ?? 'POST', joinLink.href, { token: yuki.token })).status,
      201,
    );
    const cancelled = await call(url(), 'POST', `/agendamentos/${veraBooking.body.id}/cancelamento`, {
      token: vera.token,
    });
    assert.equal(cancelled.status, 200, cancelled.text);

    const offer = pageB.locator('#offers .offer-card', { hasText: '12:00–12:05 UTC' });
    await offer.waitFor({ state: 'visible', timeout: LIVE_WAIT_MS });
    await offer.waitFor({ state: 'detached', timeout: HOLD_MS + 10_000 });
    await status(pageB, /^O prazo para confirmar .* 12:00–12:05 UTC acabou/).waitFor({ timeout: 5_000 });
    assert.equal(await pageB.locator('#offers').isHidden(), true);
    assert.equal(await pageB.locator('#waitlist .waitlist-entry').count(), 0);
  });

  test('when B leaves a waitlist through "Sair da fila", then the entry is gone', async () => {
    const other = at('15:00');
    assert.equal((await book(vera.token, other)).status, 201);
    await slot(pageB, other, 'taken').waitFor({ timeout: LIVE_WAIT_MS });
    await slot(pageB, other, 'taken').click();
    await pageB
      .locator('#details')
      .getByRole('button', { name: /Tentar reservar o horário das 15:00 UTC/ })
      .click();
    await pageB
      .locator('#status-actions')
      .getByRole('button', { name: /Entrar na fila de espera/ })
      .click();
    const entry = pageB.locator('#waitlist .waitlist-entry', { hasText: '15:00–15:05 UTC' });
    await entry.waitFor({ timeout: 10_000 });
    await entry.getByRole('button', { name: /Sair da fila/ }).click();
    await status(pageB, /^Você saiu da fila de espera de .* 15:00–15:05 UTC/).waitFor({ timeout: 10_000 });
    await entry.waitFor({ state: 'detached' });
    const mine = await call<{ _embedded: { esperas: unknown[] } }>(url(), 'GET', '/eu/esperas', {
      token: yuki.token,
    });
    assert.equal(mine.body._embedded.esperas.length, 0);
  });

  test('when B’s quota is used up, then a booking is refused with 422 and its detail', async () => {
    assert.ok(sctec);
    const admin = await sctec.adminToken();
    const set = await call(url(), 'PUT', `/cientistas/${yuki.id}/cota`, {
      token: admin,
      body: { minutos: 5 },
    });
    assert.equal(set.status, 200, set.text);
    await slot(pageB, at('18:00'), 'free').click();
    await status(pageB, /^Cota de tempo insuficiente/).waitFor({ timeout: 10_000 });
    const text = await pageB.locator('#status').innerText();
    assert.match(text, /o pedido precisa de 5 min/);
    assert.match(text, /\(.+\)$/, `the server's detail is shown: ${text}`);
    if (sameMonth)
      await pageB.locator('#quota[aria-label$=": 5 de 5 min usados · 0 min restantes"]').waitFor();
    await slot(pageB, at('18:00'), 'free').waitFor();
  });

  test('the pages kept their live stream, with no page error or CSP violation', async () => {
    for (const page of [pageA, pageB]) {
      assert.equal(await page.locator('#live').getAttribute('data-mode'), 'sse');
    }
    assert.deepEqual(pageErrors, []);
  });
});
