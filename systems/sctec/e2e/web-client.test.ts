/**
 * The web client end to end (seed 000, delivery 4): a real coordinator process, the scheduler
 * serving the freshly built client, and Debian Chromium driven by playwright-core with one
 * browser context per scientist (São Paulo and Tokyo, as in the seed). Nothing is mocked.
 *
 * Live updates: the second browser must see changes WITHOUT reloading, through Server-Sent Events
 * when GET /eventos streams, or else through the client's 5-second polling; both runs are below and
 * the waits allow for the slower one.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { call, type ServiceProcess } from '@dslab/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startCoordinatorProcess, startScheduler, type Sctec } from '../test/harness.js';
import { assertChromium, launchChromium } from './browser.js';
import { buildWebClient } from '../web-client/build.js';

const SCREENSHOT = fileURLToPath(new URL('../../../docs/screenshots/web-client-board.png', import.meta.url));
/** Long enough for one 5 s polling round plus the reload, when events are not available. */
const LIVE_WAIT_MS = 12_000;

interface BookingJson {
  id: number;
  cientista_id: number;
  horario_inicio_utc: string;
  horario_clique_utc: string | null;
  incerteza_ms: number | null;
  recebido_em_utc: string;
  status: string;
}

const slot = (page: Page, iso: string, state?: string) =>
  page.locator(`button.slot[data-slot="${iso}"]${state === undefined ? '' : `[data-state="${state}"]`}`);

async function register(page: Page, nome: string, email: string, senha: string): Promise<void> {
  const form = page.locator('#register-form');
  await form.locator('input[name="nome"]').fill(nome);
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="senha"]').fill(senha);
  await form.locator('input[name="instituicao"]').fill('Observatório de Teste');
  await form.getByRole('button', { name: 'Criar conta e entrar' }).click();
  await page.locator('#who', { hasText: nome }).waitFor({ timeout: 10_000 });
}

async function login(page: Page, email: string, senha: string): Promise<void> {
  const form = page.locator('#login-form');
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="senha"]').fill(senha);
  await form.getByRole('button', { name: 'Entrar' }).click();
  await page.locator('#logout').waitFor({ state: 'visible', timeout: 10_000 });
}

/**
 * The same scenario twice: with live events (the deployment: GET /eventos relays the coordinator's
 * stream) and without them (GET /eventos answers 503, so the page falls back to polling every 5 s).
 */
const MODES = [
  { live: 'sse', liveEvents: true, title: 'live events (Server-Sent Events)' },
  { live: 'polling', liveEvents: false, title: 'events unavailable, so polling every 5 s' },
] as const;

for (const mode of MODES)
  describe(`the web client, two scientists in two browsers, ${mode.title}`, () => {
    let coordinator: ServiceProcess | undefined;
    let sctec: Sctec | undefined;
    let browser: Browser | undefined;
    let webDir: string | undefined;
    const contexts: BrowserContext[] = [];
    const pageErrors: string[] = [];
    let pageA: Page;
    let pageB: Page;
    let day: string;
    let slotA: string;
    let slotB: string;
    const emailA = `marie.${Date.now().toString(36)}@obs.example`;
    const emailB = `yuki.${Date.now().toString(36)}@obs.example`;
    const senha = 'senha-segura-web-1';

    before(async () => {
      assertChromium();
      webDir = mkdtempSync(join(tmpdir(), 'web-client-'));
      const built = await buildWebClient({ outDir: join(webDir, 'dist') });
      coordinator = await startCoordinatorProcess();
      sctec = await startScheduler({
        liveEvents: mode.liveEvents,
        engine: 'sqlite',
        coordinatorUrl: coordinator.url,
        webClientDir: built.outDir,
      });
      browser = await launchChromium();
      const open = async (timezoneId: string, who: string): Promise<Page> => {
        if (browser === undefined || sctec === undefined) throw new Error('not started');
        const context = await browser.newContext({
          locale: 'pt-BR',
          timezoneId,
          viewport: { width: 1360, height: 1000 },
        });
        contexts.push(context);
        // Records, for the whole life of the page, every booking a Cancelar button was ever shown for.
        await context.addInitScript(() => {
          const seen: string[] = [];
          (window as unknown as { cancelButtonsSeen: string[] }).cancelButtonsSeen = seen;
          new MutationObserver(() => {
            for (const button of document.querySelectorAll<HTMLElement>('[data-action="cancelar"]')) {
              const id = button.closest<HTMLElement>('#details')?.dataset.bookingId ?? '?';
              if (!seen.includes(id)) seen.push(id);
            }
          }).observe(document, { childList: true, subtree: true });
        });
        const page = await context.newPage();
        page.on('pageerror', (error) => pageErrors.push(`${who}: ${error.message}`));
        page.on('console', (message) => {
          if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
            pageErrors.push(`${who}: ${message.text()}`);
          }
        });
        const response = await page.goto(`${sctec.url}/`);
        assert.equal(response?.status(), 200);
        assert.match(response.headers()['content-type'] ?? '', /text\/html/);
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

    test('the page is the web client, while API clients still get the HAL root at the same URL', async () => {
      assert.ok(sctec);
      const root = await call<{ _links: Record<string, unknown> }>(sctec.url, 'GET', '/', {
        headers: { accept: 'application/json' },
      });
      assert.equal(root.status, 200);
      assert.ok(root.body._links.agendamentos);
      assert.match(String(root.headers.vary), /accept/i);
      assert.equal(await pageA.title(), 'SCTEC — Agendamento do telescópio');
      assert.equal(await pageA.locator('#board button.slot').count(), 288);
    });

    test('the header shows the synced server clock (UTC, ms) and its offset ± bound', async () => {
      for (const page of [pageA, pageB]) {
        await page.locator('#clock[data-synced="true"]').waitFor({ timeout: 10_000 });
        assert.match(await page.locator('#clock-time').innerText(), /^\d{2}:\d{2}:\d{2}\.\d{3} UTC$/);
        assert.match(await page.locator('#clock-offset').innerText(), /^offset [+\-−]\d+,\d ± \d+,\d ms$/);
        const bound = Number(await page.locator('#clock-offset').getAttribute('data-bound-ms'));
        assert.ok(bound > 0 && bound < 1_000, `bound ${bound} ms`);
      }
    });

    test('two scientists register and log in through the forms', async () => {
      await register(pageA, 'Marie Curie', emailA, senha);
      await pageA.locator('#logout').click();
      await pageA.locator('#login-form').waitFor({ state: 'visible' });
      assert.equal(await pageA.locator('#who').innerText(), 'Não conectado');
      await login(pageA, emailA, senha);
      assert.match(await pageA.locator('#who').innerText(), /Marie Curie/);
      await register(pageB, 'Yuki Tanaka', emailB, senha);
      assert.ok(await pageA.locator('#auth').isHidden());
    });

    test('when A double-clicks a free slot, then it is booked once, and B sees it taken without reloading', async () => {
      assert.ok(sctec);
      day = await pageA.locator('#day').inputValue();
      assert.equal(await pageB.locator('#day').inputValue(), day, 'both default to tomorrow (UTC)');
      slotA = `${day}T10:00:00.000Z`;
      slotB = `${day}T10:25:00.000Z`;
      await pageB.evaluate(() => {
        (window as unknown as { sameDocument: string }).sameDocument = 'yes';
      });
      assert.equal(await slot(pageA, slotA).getAttribute('aria-label'), '10:00 livre');
      await slot(pageA, slotA, 'free').dblclick();
      await slot(pageA, slotA, 'mine').waitFor({ timeout: 10_000 });
      await pageA.locator('#status', { hasText: 'Agendamento confirmado' }).waitFor();
      assert.equal(await slot(pageA, slotA).getAttribute('aria-label'), '10:00 seu agendamento');

      await slot(pageB, slotA, 'taken').waitFor({ timeout: LIVE_WAIT_MS });
      assert.equal(await slot(pageB, slotA).getAttribute('aria-label'), '10:00 ocupado');
      assert.equal(
        await pageB.evaluate(() => (window as unknown as { sameDocument?: string }).sameDocument),
        'yes',
      );

      const listed = await call<{ total: number; _embedded: { agendamentos: BookingJson[] } }>(
        sctec.url,
        'GET',
        `/agendamentos?telescopio_id=Hubble-Acad&de=${encodeURIComponent(slotA)}&ate=${encodeURIComponent(
          new Date(Date.parse(slotA) + 300_000).toISOString(),
        )}`,
      );
      assert.equal(listed.body.total, 1, 'a double click books once');
      const booking = listed.body._embedded.agendamentos[0];
      assert.ok(booking);
      assert.equal(booking.horario_inicio_utc, slotA);
      // The click time is the synced server clock, sent with its bound as evidence.
      assert.ok(booking.horario_clique_utc !== null && booking.incerteza_ms !== null, 'click evidence sent');
      const lead = Date.parse(booking.recebido_em_utc) - Date.parse(booking.horario_clique_utc);
      assert.ok(lead > -50 && lead < 5_000, `click ${lead} ms before the server received it`);
    });

    test('when B opens A’s booking, then B sees it without a Cancelar button', async () => {
      await slot(pageB, slotA, 'taken').click();
      await pageB.locator('#details dl').waitFor();
      await pageB
        .locator('#details', { hasText: 'outro cientista' })
        .or(pageB.locator('#details', { hasText: 'Marie' }))
        .first()
        .waitFor();
      assert.equal(await pageB.locator('#details [data-action="cancelar"]').count(), 0);
      assert.match(await pageB.locator('#details').innerText(), /Só quem fez o agendamento/);
    });

    test('when B books too, A sees B’s slot taken (the events run saves the board as a screenshot)', async () => {
      assert.ok(sctec);
      await slot(pageB, slotB, 'free').click();
      await slot(pageB, slotB, 'mine').waitFor({ timeout: 10_000 });
      await slot(pageA, slotB, 'taken').waitFor({ timeout: LIVE_WAIT_MS });
      // A third scientist books through the API (one booking of three slots, two of one): a fuller board.
      const { url } = sctec;
      const other = await sctec.scientist('Vera Rubin');
      for (const [start, end] of [
        ['03:00', '03:15'],
        ['14:30', '14:35'],
        ['21:45', '21:50'],
      ] as const) {
        const created = await call(url, 'POST', '/agendamentos', {
          token: other.token,
          body: {
            telescopio_id: 'Hubble-Acad',
            horario_inicio_utc: `${day}T${start}:00Z`,
            horario_fim_utc: `${day}T${end}:00Z`,
          },
        });
        assert.equal(created.status, 201, created.text);
      }
      await slot(pageA, `${day}T03:10:00.000Z`, 'taken').waitFor({ timeout: LIVE_WAIT_MS });
      await slot(pageA, `${day}T21:45:00.000Z`, 'taken').waitFor({ timeout: LIVE_WAIT_MS });
      await slot(pageA, slotA, 'mine').click();
      await pageA.locator('#details [data-action="cancelar"]').waitFor({ timeout: 10_000 });
      await pageA.mouse.move(0, 0); // no hover highlight in the picture
      mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
      if (mode.live === 'sse') {
        await pageA.screenshot({ path: SCREENSHOT, fullPage: true });
        assert.ok(existsSync(SCREENSHOT));
      }
    });

    test('when A cancels through the Cancelar link, then B sees the slot free again, without reloading', async () => {
      const bookingA = await pageA.locator('#details').getAttribute('data-booking-id');
      assert.ok(bookingA !== null);
      await pageA
        .locator('#details')
        .getByRole('button', { name: /Cancelar o agendamento das 10:00 UTC/ })
        .click();
      await pageA.locator('#status', { hasText: 'Agendamento cancelado' }).waitFor({ timeout: 10_000 });
      await slot(pageA, slotA, 'free').waitFor();
      assert.equal(await pageA.locator('#details [data-action="cancelar"]').count(), 0);

      await slot(pageB, slotA, 'free').waitFor({ timeout: LIVE_WAIT_MS });
      assert.equal(
        await pageB.evaluate(() => (window as unknown as { sameDocument?: string }).sameDocument),
        'yes',
      );
      const seenByB = await pageB.evaluate(
        () => (window as unknown as { cancelButtonsSeen: string[] }).cancelButtonsSeen,
      );
      assert.ok(
        !seenByB.includes(bookingA),
        `B was offered Cancelar for A's booking ${bookingA}: ${seenByB.join(',')}`,
      );
    });

    test('when A and B click the same free slot at the same instant, one wins and the other is told who was first', async () => {
      assert.ok(sctec);
      const contested = `${day}T11:00:00.000Z`;
      // Both pages click at one agreed instant (same machine, same wall clock), so neither board can
      // have heard of the other's booking: the coordinator decides.
      for (const page of [pageA, pageB]) {
        await page.evaluate(() => {
          const status = document.getElementById('status');
          if (status !== null) status.textContent = ''; // so only this race's outcome can match below
        });
      }
      const at = Date.now() + 600;
      const clickAt = (page: Page) =>
        page.evaluate(
          ({ iso, when }) =>
            new Promise<void>((resolve) => {
              setTimeout(() => {
                document.querySelector<HTMLButtonElement>(`button.slot[data-slot="${iso}"]`)?.click();
                resolve();
              }, when - Date.now());
            }),
          { iso: contested, when: at },
        );
      await Promise.all([clickAt(pageA), clickAt(pageB)]);
      const outcome = async (page: Page) => {
        await page
          .locator('#status', {
            hasText: /Agendamento confirmado: .* das 11:00 |Outro cientista reservou este horário primeiro/,
          })
          .waitFor({ timeout: 10_000 });
        return page.locator('#status').innerText();
      };
      const [textA, textB] = await Promise.all([outcome(pageA), outcome(pageB)]);
      const winners = [textA, textB].filter((t) => t.startsWith('Agendamento confirmado'));
      assert.equal(winners.length, 1, `A: ${textA} / B: ${textB}`);
      const [winner, loser] = textA.startsWith('Agendamento confirmado') ? [pageA, pageB] : [pageB, pageA];
      assert.match(
        await loser.locator('#status').innerText(),
        /^Outro cientista reservou este horário primeiro/,
      );
      await slot(winner, contested, 'mine').waitFor({ timeout: 10_000 });
      await slot(loser, contested, 'taken').waitFor({ timeout: LIVE_WAIT_MS });
    });

    test(`the pages kept their updates running as ${mode.live}, with no page error or CSP violation`, async () => {
      for (const page of [pageA, pageB]) {
        assert.equal(await page.locator('#live').getAttribute('data-mode'), mode.live);
      }
      assert.deepEqual(pageErrors, []);
    });
  });
