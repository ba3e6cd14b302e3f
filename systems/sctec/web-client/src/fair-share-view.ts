/**
 * The fair-share parts of the page (issue 9), as DOM: the hold offers with their countdown, the
 * scientist's waitlist entries, the quota in the header, and the receipt of the last decision.
 * Rendering only; main.ts follows the links and owns the state.
 */
import type { Link } from './api.js';
import { h, setAttr, setText } from './dom.js';
import {
  countdownLabel,
  countdownText,
  decodeReceipt,
  esperaStatusText,
  quotaLines,
  quotaText,
  quotaTitle,
  receiptFileName,
  receiptSummary,
  slotRange,
  type Espera,
  type Quota,
} from './fair-share.js';
import { clockText } from './slots.js';

const dayText = (iso: string) =>
  new Intl.DateTimeFormat('pt-BR', {
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(Date.parse(iso));

// ---- hold offers --------------------------------------------------------------------------------

export interface OfferHandlers {
  confirm(espera: Espera, button: HTMLButtonElement): void;
  leave(espera: Espera, button: HTMLButtonElement): void;
}

/**
 * The offers (entries offered to the viewer, with a `confirmar` link), one card each. Cards are
 * rebuilt only when the set of offers changes, so focus and the countdown survive re-renders.
 */
export function renderOffers(
  container: HTMLElement,
  offers: readonly Espera[],
  handlers: OfferHandlers,
  telescopeName: (id: string) => string,
): void {
  const key = offers.map((o) => `${o.id}@${o.oferta_expira_em_utc ?? ''}`).join(',');
  if (container.dataset.key === key) return;
  container.dataset.key = key;
  container.hidden = offers.length === 0;
  container.replaceChildren(
    ...offers.map((espera) => {
      const deadline = espera.oferta_expira_em_utc === null ? NaN : Date.parse(espera.oferta_expira_em_utc);
      const titleId = `offer-title-${espera.id}`;
      const confirm = h(
        'button',
        {
          type: 'button',
          class: 'button button-offer',
          'data-action': 'confirmar',
          'aria-describedby': titleId,
        },
        'Confirmar',
      );
      confirm.addEventListener('click', () => handlers.confirm(espera, confirm));
      const leave = h(
        'button',
        { type: 'button', class: 'button button-quiet', 'data-action': 'recusar' },
        'Não quero (sair da fila)',
      );
      leave.addEventListener('click', () => handlers.leave(espera, leave));
      return h(
        'article',
        {
          class: 'offer-card',
          'data-espera-id': String(espera.id),
          'data-expires-ms': Number.isFinite(deadline) ? String(deadline) : undefined,
          'aria-labelledby': titleId,
        },
        h('h2', { id: titleId }, 'Um horário da sua fila de espera foi liberado para você'),
        h(
          'p',
          { class: 'offer-slot' },
          `${telescopeName(espera.telescopio_id)} · ${dayText(espera.horario_inicio_utc)} · ${slotRange(espera)}`,
        ),
        h(
          'p',
          { class: 'offer-deadline' },
          'Confirme em ',
          h('span', { class: 'offer-countdown', role: 'timer', 'data-countdown': '' }, '–:––'),
          Number.isFinite(deadline) ? ` (até ${clockText(deadline).slice(0, 8)} UTC, hora do servidor)` : '',
        ),
        h(
          'p',
          { class: 'hint' },
          'Ninguém mais pode reservar este horário até o prazo acabar; depois, ele passa para o próximo da fila.',
        ),
        h('div', { class: 'offer-actions' }, confirm, leave),
      );
    }),
  );
}

/** Updates every countdown at server time `nowMs`; returns the ids whose deadline just passed. */
export function tickOffers(container: HTMLElement, nowMs: number): number[] {
  const expired: number[] = [];
  for (const card of container.querySelectorAll<HTMLElement>('.offer-card')) {
    const deadline = Number(card.dataset.expiresMs);
    if (!Number.isFinite(deadline)) continue;
    const remaining = deadline - nowMs;
    const timer = card.querySelector('[data-countdown]');
    if (timer !== null) {
      setText(timer, countdownText(remaining));
      setAttr(timer, 'aria-label', countdownLabel(remaining));
    }
    if (remaining <= 0 && card.dataset.expired === undefined) {
      card.dataset.expired = 'true';
      const confirm = card.querySelector<HTMLButtonElement>('[data-action="confirmar"]');
      if (confirm !== null) {
        confirm.disabled = true;
        setText(confirm, 'Prazo encerrado');
      }
      expired.push(Number(card.dataset.esperaId));
    }
  }
  return expired;
}

// ---- the waitlist panel ---------------------------------------------------------------------------

export function renderWaitlist(
  container: HTMLElement,
  entries: readonly Espera[],
  leave: (espera: Espera, button: HTMLButtonElement) => void,
  telescopeName: (id: string) => string,
): void {
  if (entries.length === 0) {
    container.replaceChildren(
      h(
        'p',
        { class: 'hint' },
        'Você não está em nenhuma fila de espera. Quando um horário que você tentou reservar estiver ocupado, entre na fila: se ele for cancelado, você recebe uma reserva temporária para confirmar.',
      ),
    );
    return;
  }
  container.replaceChildren(
    h(
      'ul',
      { class: 'waitlist' },
      ...entries.map((espera) => {
        const item = h(
          'li',
          {
            class: 'waitlist-entry',
            'data-espera-id': String(espera.id),
            'data-status': espera.status,
          },
          h(
            'span',
            { class: 'waitlist-slot' },
            `${dayText(espera.horario_inicio_utc)} · ${slotRange(espera)}`,
          ),
          h(
            'span',
            { class: 'waitlist-meta' },
            `${telescopeName(espera.telescopio_id)} · ${esperaStatusText(espera)}`,
          ),
        );
        const sair = espera._links.sair;
        if (sair !== undefined) {
          const button = h(
            'button',
            {
              type: 'button',
              class: 'button button-quiet button-small',
              'data-action': 'sair-fila',
              'aria-label': `Sair da fila de ${slotRange(espera)} de ${dayText(espera.horario_inicio_utc)}`,
            },
            'Sair da fila',
          );
          button.addEventListener('click', () => leave(espera, button));
          item.append(button);
        }
        return item;
      }),
    ),
  );
}

// ---- quota ------------------------------------------------------------------------------------------

export function renderQuota(container: HTMLElement, cota: Quota | undefined): void {
  container.hidden = cota === undefined;
  if (cota === undefined) {
    container.replaceChildren();
    return;
  }
  const meter = h('meter', {
    class: 'quota-meter',
    min: '0',
    max: String(Math.max(cota.alocados_minutos, 1)),
    value: String(Math.min(cota.usados_minutos, Math.max(cota.alocados_minutos, 1))),
    low: String(Math.max(cota.alocados_minutos, 1) * 0.7),
    high: String(Math.max(cota.alocados_minutos, 1) * 0.9),
    optimum: '0',
    'aria-label': `Cota usada em ${cota.periodo}`,
  });
  container.title = quotaTitle(cota);
  container.dataset.restantes = String(cota.restantes_minutos);
  container.dataset.usados = String(cota.usados_minutos);
  container.dataset.alocados = String(cota.alocados_minutos);
  const [used, left] = quotaLines(cota);
  setAttr(container, 'aria-label', quotaText(cota));
  container.replaceChildren(
    h('span', { class: 'quota-text' }, used),
    h('span', { class: 'quota-left' }, meter, left),
  );
}

// ---- receipts -------------------------------------------------------------------------------------

let receiptUrl: string | undefined;

/**
 * The receipt of the last decision: what it says (decoded, not verified), a "Baixar recibo" link
 * that downloads the JWS as a file (a Blob URL, revoked when replaced), and how to verify it.
 */
export function renderReceipt(
  panel: HTMLElement,
  body: HTMLElement,
  jws: string | undefined,
  jwks: Link | undefined,
): void {
  if (receiptUrl !== undefined) URL.revokeObjectURL(receiptUrl);
  receiptUrl = undefined;
  panel.hidden = jws === undefined;
  if (jws === undefined) {
    body.replaceChildren();
    return;
  }
  const claims = decodeReceipt(jws);
  receiptUrl = URL.createObjectURL(new Blob([jws], { type: 'application/jwt' }));
  const name = receiptFileName(claims);
  const download = h(
    'a',
    {
      class: 'button',
      href: receiptUrl,
      download: name,
      'data-action': 'baixar-recibo',
      'aria-label': `Baixar recibo (${name})`,
    },
    'Baixar recibo',
  );
  // Without --jwks the CLI checks against its built-in development key: name this server's key set.
  const jwksUrl = jwks === undefined ? undefined : new URL(jwks.href, location.href).href;
  const command = `npm run receipt:verify -- ${name}${jwksUrl === undefined ? '' : ` --jwks ${jwksUrl}`}`;
  body.replaceChildren(
    h('p', { class: 'receipt-summary', 'data-resultado': claims?.resultado }, receiptSummary(claims)),
    download,
    h(
      'p',
      { class: 'details-note' },
      'O recibo é assinado pelo servidor (Ed25519) e liga a decisão ao registro de auditoria. Para conferir a assinatura fora do navegador: ',
      h('code', { 'data-verify': '' }, command),
      jwksUrl === undefined
        ? '.'
        : h(
            'span',
            {},
            ' (',
            h('a', { href: jwksUrl, target: '_blank', rel: 'noopener' }, 'chave pública'),
            ').',
          ),
    ),
  );
}
