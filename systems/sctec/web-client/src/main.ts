/**
 * SCTEC web client (seed 000, delivery 4). Starts from one URL, the API root `/`, and follows its
 * HAL links: `tempo` to sync the clock, `registrar`/`token` to sign in, `telescopios` and the
 * templated `agendamentos` to fill the board, a telescope's `agendar` to book, a booking's
 * `cancelar` (only present when the server allows it) to cancel, `eventos` for live updates.
 *
 * Fair share (issue 9): a refused booking's `entrar_na_fila` joins the slot's waitlist; a hold
 * offered live (ESPERA_OFERECIDA) is confirmed through its `confirmar` link before its countdown
 * ends; the scientist's `cota` sits next to the session; every decision's signed `recibo` can be
 * downloaded; the telescope's templated `demanda` link feeds the day's heat map.
 */
import { embedded, follow, linkOf, type Hal, type Link, type Outcome, type Problem } from './api.js';
import { Board } from './board.js';
import { startServerClock, type ServerClock } from './clock.js';
import { buildDemandDay, demandSummary, type DemandAnswer } from './demand.js';
import { byId, h, setAttr, setText } from './dom.js';
import {
  existingEsperaLink,
  isOffer,
  isOpen,
  joinLinks,
  quotaOf,
  slotRange,
  sortEsperas,
  type Espera,
  type Quota,
} from './fair-share.js';
import { renderOffers, renderQuota, renderReceipt, renderWaitlist, tickOffers } from './fair-share-view.js';
import { HeatMap } from './heatmap.js';
import {
  isBookingEvent,
  startLive,
  type BookingEvent,
  type LiveEvent,
  type LiveMode,
  type WaitlistEvent,
} from './live.js';
import { HOLD_EXPIRED, problemMessage, UNAVAILABLE, type Action, type Message } from './messages.js';
import {
  buildDay,
  clockText,
  DAY_MS,
  dayStartMs,
  hhmm,
  isoWithMs,
  offsetText,
  SLOT_MS,
  tomorrowUtc,
  touchesDay,
  utcDate,
  type BoardBooking,
  type SlotView,
} from './slots.js';
import { expandTemplate } from './uri-template.js';

interface Telescope extends Hal {
  readonly id: string;
  readonly nome: string;
  readonly descricao: string | null;
}

interface Scientist extends Hal {
  readonly id: number;
  readonly nome: string;
  readonly email?: string;
  readonly instituicao: string | null;
  /** Only for the scientist themself (and admins). */
  readonly cota?: Quota;
}

interface Booking extends Omit<BoardBooking, '_links'>, Hal {
  readonly recebido_em_utc?: string;
  readonly criado_em_utc?: string;
  readonly horario_clique_utc?: string | null;
  readonly incerteza_ms?: number | null;
  readonly cancelado_em_utc?: string | null;
  /** Signed decision receipt (JWS), in the 201 of a booking or of a confirmed hold. */
  readonly recibo?: string;
  /** Minutes given back to the quota, in the answer of a cancellation. */
  readonly reembolso_minutos?: number;
}

interface BookingPage extends Hal {
  readonly total: number;
}

/** A change to the board's bookings: from a live event, or from our own booking or cancel. */
type Change =
  { readonly kind: 'put'; readonly booking: Booking } | { readonly kind: 'delete'; readonly id: number };

/** One booking intent: retries of it reuse the key AND the body, so the server can replay. */
interface Intent {
  readonly key: string;
  readonly body: Record<string, unknown>;
  readonly createdAt: number;
}

const TOKEN_KEY = 'sctec.token';
const INTENT_REUSE_MS = 60_000;

const ui = {
  statusBox: byId('status-box', HTMLDivElement),
  status: byId('status', HTMLParagraphElement),
  statusActions: byId('status-actions', HTMLDivElement),
  offers: byId('offers', HTMLElement),
  quota: byId('quota', HTMLDivElement),
  receiptPanel: byId('receipt-panel', HTMLElement),
  receipt: byId('receipt', HTMLDivElement),
  waitlistPanel: byId('waitlist-panel', HTMLElement),
  waitlist: byId('waitlist', HTMLDivElement),
  demandPanel: byId('demand-panel', HTMLElement),
  demandTitle: byId('demand-title', HTMLHeadingElement),
  heatmap: byId('heatmap', HTMLDivElement),
  heatLegend: byId('heat-legend', HTMLUListElement),
  demandSummary: byId('demand-summary', HTMLParagraphElement),
  auth: byId('auth', HTMLElement),
  loginForm: byId('login-form', HTMLFormElement),
  registerForm: byId('register-form', HTMLFormElement),
  who: byId('who', HTMLSpanElement),
  logout: byId('logout', HTMLButtonElement),
  clock: byId('clock', HTMLDivElement),
  clockTime: byId('clock-time', HTMLSpanElement),
  clockOffset: byId('clock-offset', HTMLSpanElement),
  telescope: byId('telescope', HTMLSelectElement),
  day: byId('day', HTMLInputElement),
  dayPrev: byId('day-prev', HTMLButtonElement),
  dayNext: byId('day-next', HTMLButtonElement),
  live: byId('live', HTMLParagraphElement),
  boardTitle: byId('board-title', HTMLHeadingElement),
  board: byId('board', HTMLDivElement),
  details: byId('details', HTMLDivElement),
};

const state = {
  root: undefined as Hal | undefined,
  token: sessionStorage.getItem(TOKEN_KEY) ?? undefined,
  me: undefined as Scientist | undefined,
  telescopes: [] as Telescope[],
  bookings: new Map<number, Booking>(),
  loaded: false,
  pending: new Set<string>(),
  intents: new Map<string, Intent>(),
  selected: undefined as number | undefined,
  /** The slot clicked to show the selected booking (a booking may hold several slots). */
  selectedSlot: undefined as SlotView | undefined,
  loading: false,
  /** A reload was asked for while one was running: run again when it ends. */
  reloadRequested: false,
  /**
   * Changes seen while a board load is in flight (live events, our own bookings and cancels),
   * replayed in order on top of the loaded list, which may predate them.
   */
  changesDuringLoad: undefined as Change[] | undefined,
  clock: undefined as ServerClock | undefined,
  live: undefined as { stop(): void } | undefined,
  /** The scientist's open waitlist entries (waiting or offered), by id. */
  esperas: new Map<number, Espera>(),
  /** Bumped by every change to `esperas` from a single entry, so a list load older than it retries. */
  esperasVersion: 0,
  esperasLoading: false,
  esperasReloadRequested: false,
  /** Offers already announced in the status line (each one once), and expiries likewise. */
  announcedOffers: new Set<number>(),
  announcedExpiries: new Set<number>(),
  /** One Idempotency-Key per confirmation of a hold, reused by a retry of it. */
  confirmKeys: new Map<number, string>(),
  confirming: new Set<number>(),
  /** The receipt (JWS) of the last booking decision. */
  receipt: undefined as string | undefined,
  /** Bumped by every demand load: an answer older than the newest load is dropped. */
  demandSeq: 0,
};

const board = new Board(ui.board, (slot) => void onSlot(slot));
const heatmap = new HeatMap(ui.heatmap, ui.heatLegend);

// ---- messages ---------------------------------------------------------------------------------

/** Shows a message, with optional buttons that act on it (e.g. "Entrar na fila de espera"). */
function say(message: Message, actions: readonly Node[] = []): void {
  ui.statusBox.hidden = false;
  ui.statusBox.dataset.tone = message.tone;
  ui.status.textContent = message.text;
  ui.statusActions.replaceChildren(...actions);
  ui.statusActions.hidden = actions.length === 0;
}

function sayProblem(action: Action, problem: Problem): Message {
  const message = problemMessage(action, problem);
  say(message);
  if (message.needsLogin === true) forgetSession();
  return message;
}

// ---- time -----------------------------------------------------------------------------------

/** Server time: the synced clock once it has a sample, this machine's clock before. */
function serverNow(): number {
  return state.clock?.state().synced === true ? state.clock.now() : Date.now();
}

let lastSlotIndex = -1;
function tick(): void {
  const clock = state.clock;
  const now = serverNow();
  setText(ui.clockTime, `${clockText(now)} UTC`);
  if (clock !== undefined) {
    const s = clock.state();
    setAttr(ui.clock, 'data-synced', s.synced ? 'true' : 'false');
    if (s.synced) {
      setText(ui.clockOffset, `offset ${offsetText(s.offset_ms, s.bound_ms)}`);
      setAttr(ui.clockOffset, 'data-offset-ms', s.offset_ms.toFixed(3));
      setAttr(ui.clockOffset, 'data-bound-ms', s.bound_ms.toFixed(3));
    }
  }
  // A slot turns "past" when it starts: redraw once per slot boundary.
  const slotIndex = Math.floor(now / SLOT_MS);
  if (slotIndex !== lastSlotIndex) {
    lastSlotIndex = slotIndex;
    render();
  }
  // Hold countdowns on the server's clock; a deadline that passes asks the server what happened.
  if (!ui.offers.hidden && tickOffers(ui.offers, now).length > 0) scheduleEsperas(1_000);
  requestAnimationFrame(tick);
}

// ---- session ----------------------------------------------------------------------------------

function forgetSession(): void {
  state.token = undefined;
  state.me = undefined;
  sessionStorage.removeItem(TOKEN_KEY);
  state.esperas.clear();
  state.esperasVersion++;
  state.announcedOffers.clear();
  showReceipt(undefined);
  renderSession();
  renderFairShare();
  render();
}

function renderSession(): void {
  const me = state.me;
  ui.auth.hidden = me !== undefined;
  ui.logout.hidden = me === undefined;
  setText(
    ui.who,
    me === undefined ? 'Não conectado' : `${me.nome}${me.email === undefined ? '' : ` · ${me.email}`}`,
  );
  renderQuota(ui.quota, me === undefined ? undefined : quotaOf(me));
}

/** Fetches the scientist again (through its own `self` link): the quota after a change. */
async function refreshMe(): Promise<void> {
  const self = state.me?._links.self ?? state.root?._links.eu;
  if (self === undefined || state.token === undefined) return;
  const answer = await follow<Scientist>(self, { token: state.token });
  if (answer.ok && state.me !== undefined && answer.body.id === state.me.id) {
    state.me = answer.body;
    renderSession();
  }
}

async function loadRoot(): Promise<boolean> {
  const answer = await follow<Hal>({ href: '/' }, { token: state.token });
  if (!answer.ok) {
    sayProblem('carregar', answer.problem);
    return false;
  }
  state.root = answer.body;
  return true;
}

/** With a token: who am I (the root offers `eu` only to a valid token). */
async function loadMe(): Promise<void> {
  if (state.token === undefined) {
    state.me = undefined;
    renderSession();
    return;
  }
  if (!(await loadRoot()) || state.root === undefined) return;
  const eu = state.root._links.eu;
  if (eu === undefined) {
    say({ tone: 'warning', text: 'Sua sessão expirou. Entre novamente para agendar.' });
    forgetSession();
    return;
  }
  const answer = await follow<Scientist>(eu, { token: state.token });
  if (!answer.ok) {
    sayProblem('carregar', answer.problem);
    if (answer.status === 401) forgetSession();
    return;
  }
  state.me = answer.body;
  renderSession();
  render();
  void loadEsperas();
}

function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  new FormData(form).forEach((value, name) => {
    if (typeof value === 'string') values[name] = value;
  });
  return values;
}

async function withBusyForm(form: HTMLFormElement, run: () => Promise<void>): Promise<void> {
  const buttons = [...form.querySelectorAll('button')];
  for (const button of buttons) button.disabled = true;
  try {
    await run();
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

async function login(email: string, senha: string, tokenLink?: Link): Promise<boolean> {
  const root = state.root;
  if (root === undefined) return false;
  const answer = await follow<{ access_token: string }>(tokenLink ?? linkOf(root, 'token'), {
    body: { email, senha },
  });
  if (!answer.ok) {
    sayProblem('entrar', answer.problem);
    return false;
  }
  state.token = answer.body.access_token;
  sessionStorage.setItem(TOKEN_KEY, state.token);
  await loadMe();
  return state.me !== undefined;
}

ui.loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void withBusyForm(ui.loginForm, async () => {
    const { email = '', senha = '' } = formValues(ui.loginForm);
    if (email.trim() === '' || senha === '') {
      say({ tone: 'error', text: 'Informe e-mail e senha.' });
      return;
    }
    if (await login(email.trim(), senha)) {
      ui.loginForm.reset();
      say({
        tone: 'success',
        text: `Bem-vindo(a), ${state.me?.nome ?? ''}. Clique em um horário livre para reservar.`,
      });
      await loadBoard();
    }
  });
});

ui.registerForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void withBusyForm(ui.registerForm, async () => {
    const root = state.root;
    if (root === undefined) return;
    const { nome = '', email = '', senha = '', instituicao = '' } = formValues(ui.registerForm);
    const body: Record<string, string> = { nome: nome.trim(), email: email.trim(), senha };
    if (instituicao.trim() !== '') body.instituicao = instituicao.trim();
    const answer = await follow<Scientist>(linkOf(root, 'registrar'), { body });
    if (!answer.ok) {
      sayProblem('registrar', answer.problem);
      return;
    }
    if (await login(body.email ?? '', senha, answer.body._links.token)) {
      ui.registerForm.reset();
      say({
        tone: 'success',
        text: `Conta criada. Bem-vindo(a), ${answer.body.nome}. Clique em um horário livre para reservar.`,
      });
      await loadBoard();
    }
  });
});

ui.logout.addEventListener('click', () => {
  forgetSession();
  state.selected = undefined;
  showNothing();
  say({ tone: 'info', text: 'Você saiu. O quadro continua visível; entre para agendar.' });
  void loadRoot().then(() => loadBoard());
});

// ---- telescope and day ------------------------------------------------------------------------

function currentTelescope(): Telescope | undefined {
  return state.telescopes.find((t) => t.id === ui.telescope.value) ?? state.telescopes[0];
}

function currentDayStart(): number {
  const start = dayStartMs(ui.day.value);
  if (start !== undefined) return start;
  ui.day.value = tomorrowUtc(serverNow());
  return dayStartMs(ui.day.value) ?? Math.floor(serverNow() / DAY_MS) * DAY_MS + DAY_MS;
}

async function loadTelescopes(): Promise<void> {
  const root = state.root;
  if (root === undefined) return;
  const answer = await follow<Hal>(linkOf(root, 'telescopios'));
  if (!answer.ok) {
    sayProblem('carregar', answer.problem);
    return;
  }
  state.telescopes = embedded<Telescope>(answer.body, 'telescopios');
  const chosen = ui.telescope.value;
  ui.telescope.replaceChildren(
    ...state.telescopes.map((t) => h('option', { value: t.id }, `${t.nome} (${t.id})`)),
  );
  if (state.telescopes.some((t) => t.id === chosen)) ui.telescope.value = chosen;
}

/** The user picked a day: the default ("tomorrow") no longer follows the clock. */
let dayChosen = false;

function changeDay(delta: number): void {
  dayChosen = true;
  ui.day.value = utcDate(currentDayStart() + delta * DAY_MS);
  onViewChanged();
}

function onViewChanged(): void {
  state.selected = undefined;
  state.bookings.clear();
  state.loaded = false;
  showNothing();
  render();
  void loadBoard();
  void loadDemand();
}

ui.telescope.addEventListener('change', onViewChanged);
ui.day.addEventListener('change', () => {
  dayChosen = true;
  onViewChanged();
});
ui.dayPrev.addEventListener('click', () => changeDay(-1));
ui.dayNext.addEventListener('click', () => changeDay(1));

// ---- the board ----------------------------------------------------------------------------------

/** Follows the root's `agendamentos` template for the shown telescope and UTC day, all pages. */
async function fetchDay(telescope: Telescope, dayStart: number): Promise<Booking[] | Problem> {
  const root = state.root;
  if (root === undefined) return { status: 0 };
  const template = linkOf(root, 'agendamentos');
  let link: Link | undefined = {
    href: expandTemplate(template.href, {
      telescopio_id: telescope.id,
      status: 'ativo',
      de: isoWithMs(dayStart),
      ate: isoWithMs(dayStart + DAY_MS),
      limite: 200,
    }),
  };
  const all: Booking[] = [];
  for (let page = 0; link !== undefined && page < 20; page++) {
    const answer: Outcome<BookingPage> = await follow<BookingPage>(link, { token: state.token });
    if (!answer.ok) return answer.problem;
    all.push(...embedded<Booking>(answer.body, 'agendamentos'));
    link = answer.body._links.next;
  }
  return all;
}

function applyChange(bookings: Map<number, Booking>, change: Change): void {
  if (change.kind === 'delete') {
    bookings.delete(change.id);
    return;
  }
  // A booking from an event has no links: never let it replace one that has them.
  const known = bookings.get(change.booking.id);
  if (known === undefined || change.booking._links.self !== undefined) {
    bookings.set(change.booking.id, change.booking);
  }
}

function changeBoard(change: Change): void {
  applyChange(state.bookings, change);
  state.changesDuringLoad?.push(change);
  render();
}

/** Loads the shown telescope and day. Calls made while a load runs make it run once more. */
async function loadBoard(): Promise<void> {
  if (state.root === undefined) return;
  if (state.loading) {
    state.reloadRequested = true;
    return;
  }
  state.loading = true;
  try {
    do {
      state.reloadRequested = false;
      const telescope = currentTelescope();
      if (telescope === undefined) return;
      const dayStart = currentDayStart();
      state.changesDuringLoad = [];
      const result = await fetchDay(telescope, dayStart);
      const changes = state.changesDuringLoad;
      state.changesDuringLoad = undefined;
      if (telescope !== currentTelescope() || dayStart !== currentDayStart()) {
        state.reloadRequested = true; // the view changed meanwhile: load the new one
        continue;
      }
      if (!Array.isArray(result)) {
        if (result.status === 401) {
          sayProblem('carregar', result);
        } else if (!state.loaded || result.status === 0 || result.status >= 500) {
          say(problemMessage('carregar', result));
        }
        if (result.status === 0) setLiveMode('offline');
        return;
      }
      const bookings = new Map(result.map((b) => [b.id, b]));
      for (const change of changes) applyChange(bookings, change);
      state.bookings = bookings;
      state.loaded = true;
      if (currentLiveMode === 'offline') setLiveMode(lastLiveMode);
      render();
      await refreshSelected();
    } while (state.reloadRequested);
  } finally {
    state.loading = false;
    state.changesDuringLoad = undefined;
  }
}

function render(): void {
  const telescope = currentTelescope();
  const dayStart = currentDayStart();
  const slots = buildDay(dayStart, state.bookings.values(), state.me?.id, serverNow());
  board.render({
    slots,
    pending: state.pending,
    selectedBookingId: state.selected,
    busy: !state.loaded,
  });
  const day = new Intl.DateTimeFormat('pt-BR', { dateStyle: 'full', timeZone: 'UTC' }).format(dayStart);
  setText(ui.boardTitle, `${telescope?.nome ?? 'Telescópio'} — ${day} (UTC)`);
}

async function onSlot(slot: SlotView): Promise<void> {
  if (state.pending.has(slot.iso)) {
    say({ tone: 'info', text: `Reservando ${slot.label} UTC… aguarde a resposta.` });
    return;
  }
  if (slot.state === 'free') {
    await book(slot);
    return;
  }
  if (slot.booking !== undefined) {
    state.selectedSlot = slot;
    await showBooking(slot.booking);
    return;
  }
  say({ tone: 'info', text: `O horário ${slot.label} UTC já começou; escolha um horário futuro.` });
}

// ---- booking --------------------------------------------------------------------------------------

async function book(slot: SlotView): Promise<void> {
  const telescope = currentTelescope();
  const root = state.root;
  if (telescope === undefined || root === undefined) return;
  if (state.token === undefined || state.me === undefined) {
    say({ tone: 'warning', text: 'Entre com sua conta para agendar (formulário acima).', needsLogin: true });
    ui.auth.hidden = false;
    ui.loginForm.querySelector('input')?.focus();
    return;
  }
  // The click time, on the server's clock, and how sure we are of it: the booking's evidence.
  const reading = state.clock?.nowWithBound();
  const clickedAt = reading?.synced === true ? reading.now_ms : Date.now();
  const previous = state.intents.get(slot.iso);
  const intent: Intent =
    previous !== undefined && clickedAt - previous.createdAt < INTENT_REUSE_MS
      ? previous
      : {
          key: crypto.randomUUID(),
          createdAt: clickedAt,
          body: {
            telescopio_id: telescope.id,
            horario_inicio_utc: slot.iso,
            horario_fim_utc: isoWithMs(slot.startMs + SLOT_MS),
            ...(reading?.synced === true
              ? {
                  horario_clique_utc: isoWithMs(clickedAt),
                  incerteza_ms: Math.min(3_600_000, Math.ceil(reading.bound_ms * 1000) / 1000),
                }
              : {}),
          },
        };
  state.intents.set(slot.iso, intent);
  state.pending.add(slot.iso);
  render();
  const agendar = telescope._links.agendar ?? linkOf(root, 'agendar');
  const answer = await follow<Booking>(agendar, {
    token: state.token,
    body: intent.body,
    headers: { 'idempotency-key': intent.key },
  });
  state.pending.delete(slot.iso);
  if (answer.ok) {
    state.intents.delete(slot.iso);
    state.selected = answer.body.id;
    changeBoard({ kind: 'put', booking: answer.body });
    const clique =
      typeof intent.body.horario_clique_utc === 'string'
        ? ` Clique registrado às ${clockText(Date.parse(intent.body.horario_clique_utc))} UTC ± ${formatMs(Number(intent.body.incerteza_ms))}.`
        : '';
    const recibo = typeof answer.body.recibo === 'string' ? ' Recibo assinado emitido.' : '';
    say({
      tone: 'success',
      text: `Agendamento confirmado: ${telescope.nome}, ${formatDay(slot.startMs)} das ${slot.label} às ${hhmm(slot.startMs + SLOT_MS)} UTC (nº ${answer.body.id}).${clique}${recibo}`,
    });
    if (typeof answer.body.recibo === 'string') showReceipt(answer.body.recibo);
    render();
    renderBooking(answer.body);
    void refreshMe();
    void loadDemand();
    return;
  }
  // 5xx or no answer: the server freed the key (or never saw it); a retry click resends the same
  // intent. Anything else is final for this intent.
  if (!(answer.status === 0 || answer.status >= 500 || answer.problem.code === 'idempotency-in-progress')) {
    state.intents.delete(slot.iso);
  }
  // A refusal is a decision too: it comes with its own signed receipt.
  if (typeof answer.problem.recibo === 'string') showReceipt(answer.problem.recibo);
  const join = joinLinks(answer.problem)[0];
  if (join !== undefined) {
    // The server offers this slot's waitlist (taken or held): the scientist may join it.
    const message = problemMessage('agendar', answer.problem);
    say(
      {
        ...message,
        text: `${message.text} Entre na fila de espera: se o horário for liberado, ele é oferecido a você por tempo limitado, na ordem de chegada à fila.`,
      },
      [joinButton(join, slot.label)],
    );
  } else {
    const message = sayProblem('agendar', answer.problem);
    if (message.needsLogin === true) ui.auth.hidden = false;
  }
  render();
  if (answer.problem.code === 'quota-exceeded') void refreshMe();
  if (answer.problem.code === 'slot-taken' || answer.status === 409) await loadBoard();
  void loadDemand();
}

// ---- details and cancel (only through the booking's own `cancelar` link) --------------------------

function showNothing(): void {
  ui.details.replaceChildren(
    h('p', { class: 'hint' }, 'Selecione um horário reservado para ver os detalhes.'),
  );
}

async function showBooking(shown: BoardBooking): Promise<void> {
  const booking: Booking = { ...shown, _links: shown._links ?? {} };
  state.selected = booking.id;
  render();
  let self = booking._links.self;
  if (self === undefined) {
    // From a live event (no links): the list carries them.
    await loadBoard();
    self = state.bookings.get(booking.id)?._links.self;
  }
  if (self === undefined) {
    renderBooking(booking);
    return;
  }
  const answer = await follow<Booking>(self, { token: state.token });
  if (state.selected !== booking.id) return;
  if (!answer.ok) {
    sayProblem('carregar', answer.problem);
    return;
  }
  renderBooking(answer.body);
}

/** After a reload, the shown booking is fetched again so its links (cancelar) stay current. */
async function refreshSelected(fallback?: Link): Promise<void> {
  const id = state.selected;
  if (id === undefined) return;
  const known = state.bookings.get(id);
  const self = known?._links.self ?? fallback;
  if (self === undefined) return;
  const answer = await follow<Booking>(self, { token: state.token });
  if (answer.ok && state.selected === id) renderBooking(answer.body);
}

function renderBooking(booking: Booking): void {
  const mine = state.me !== undefined && booking.cientista_id === state.me.id;
  const start = Date.parse(booking.horario_inicio_utc);
  const end = Date.parse(booking.horario_fim_utc);
  const owner = h('dd', {}, mine ? 'você' : `outro cientista (nº ${booking.cientista_id})`);
  const rows: [string, Node | string][] = [
    ['Telescópio', booking.telescopio_id],
    ['Dia', formatDay(start)],
    ['Horário', `${hhmm(start)}–${hhmm(end)} UTC`],
    [
      'Situação',
      h(
        'span',
        { class: 'badge', 'data-status': booking.status },
        booking.status === 'ativo' ? 'ativo' : 'cancelado',
      ),
    ],
  ];
  if (typeof booking.horario_clique_utc === 'string') {
    const bound = typeof booking.incerteza_ms === 'number' ? ` ± ${formatMs(booking.incerteza_ms)}` : '';
    rows.push(['Clique', `${clockText(Date.parse(booking.horario_clique_utc))} UTC${bound}`]);
  }
  if (typeof booking.recebido_em_utc === 'string') {
    rows.push(['Recebido', `${clockText(Date.parse(booking.recebido_em_utc))} UTC`]);
  }
  if (typeof booking.cancelado_em_utc === 'string') {
    rows.push(['Cancelado', `${clockText(Date.parse(booking.cancelado_em_utc))} UTC`]);
  }
  const list = h('dl', {});
  list.append(h('dt', {}, 'Nº'), h('dd', {}, String(booking.id)), h('dt', {}, 'Cientista'), owner);
  for (const [term, value] of rows) list.append(h('dt', {}, term), h('dd', {}, value));

  const children: Node[] = [list];
  const cancelar = booking._links.cancelar;
  if (cancelar !== undefined) {
    const button = h(
      'button',
      {
        type: 'button',
        class: 'button button-danger',
        'data-action': 'cancelar',
        'aria-label': `Cancelar o agendamento das ${hhmm(start)} UTC`,
      },
      'Cancelar',
    );
    button.addEventListener('click', () => void cancel(booking, cancelar, button));
    children.push(button);
  } else if (booking.status === 'ativo') {
    children.push(
      h(
        'p',
        { class: 'details-note' },
        mine
          ? 'Este agendamento não pode mais ser cancelado (o horário já começou).'
          : 'Só quem fez o agendamento (ou um administrador) pode cancelá-lo.',
      ),
    );
  }
  // Someone else's future slot: the scientist may still ask for it. The server decides; if it is
  // still taken (or held), the refusal carries the link to join the slot's waitlist.
  const wanted = state.selectedSlot;
  if (
    !mine &&
    state.me !== undefined &&
    booking.status === 'ativo' &&
    wanted?.booking?.id === booking.id &&
    wanted.startMs > serverNow()
  ) {
    const ask = h(
      'button',
      {
        type: 'button',
        class: 'button',
        'data-action': 'tentar',
        'aria-label': `Tentar reservar o horário das ${wanted.label} UTC`,
      },
      'Tentar reservar este horário',
    );
    ask.addEventListener('click', () => void book(wanted));
    children.push(
      ask,
      h(
        'p',
        { class: 'details-note' },
        `Se o horário das ${wanted.label} UTC continuar ocupado, você poderá entrar na fila de espera dele.`,
      ),
    );
  }
  ui.details.replaceChildren(...children);
  ui.details.dataset.bookingId = String(booking.id);

  // The owner's name, when we may see it (GET /cientistas/{id} needs a token).
  const cientista = booking._links.cientista;
  if (!mine && state.token !== undefined && cientista !== undefined) {
    void follow<Scientist>(cientista, { token: state.token }).then((answer) => {
      if (answer.ok && ui.details.dataset.bookingId === String(booking.id)) {
        const who =
          answer.body.instituicao === null
            ? answer.body.nome
            : `${answer.body.nome} (${answer.body.instituicao})`;
        setText(owner, who);
      }
    });
  }
}

async function cancel(booking: Booking, link: Link, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  const answer = await follow<Booking>(link, { token: state.token });
  button.disabled = false;
  if (answer.ok) {
    changeBoard({ kind: 'delete', id: booking.id });
    const start = Date.parse(answer.body.horario_inicio_utc);
    const refund = answer.body.reembolso_minutos;
    const quota =
      typeof refund !== 'number'
        ? ''
        : refund > 0
          ? ` ${refund} min devolvidos à cota.`
          : ' Cancelamento em cima da hora: os minutos não voltam à cota.';
    say({
      tone: 'success',
      text: `Agendamento cancelado: ${formatDay(start)} das ${hhmm(start)} às ${hhmm(Date.parse(answer.body.horario_fim_utc))} UTC. O horário está livre de novo (ou vai para a fila de espera).${quota}`,
    });
    render();
    renderBooking(answer.body);
    void refreshMe();
    return;
  }
  const message = sayProblem('cancelar', answer.problem);
  if (message.needsLogin === true) ui.auth.hidden = false;
  await loadBoard();
}

// ---- live updates -----------------------------------------------------------------------------------

let currentLiveMode: LiveMode = 'connecting';
let lastLiveMode: LiveMode = 'connecting';
const LIVE_TEXT: Record<LiveMode, string> = {
  connecting: 'atualizações: conectando…',
  sse: 'ao vivo (eventos do servidor)',
  polling: 'atualizando a cada 5 s',
  offline: 'sem conexão com o servidor',
};

function setLiveMode(mode: LiveMode): void {
  if (mode !== 'offline') lastLiveMode = mode;
  currentLiveMode = mode;
  ui.live.dataset.mode = mode;
  setText(ui.live, LIVE_TEXT[mode]);
}

function onLiveEvent(event: LiveEvent): void {
  if (isBookingEvent(event)) onBookingEvent(event);
  else onWaitlistEvent(event);
  // Attempts and waiters of the shown day changed: refresh the heat map (debounced).
  const telescope = currentTelescope();
  if (
    telescope !== undefined &&
    event.telescopio_id === telescope.id &&
    touchesDay(event, currentDayStart())
  ) {
    scheduleDemand();
  }
  // Positions in our queues may have moved.
  if (state.me !== undefined && waitingOn(event)) scheduleEsperas();
}

/** Are we waiting on a slot this event covers? */
function waitingOn(event: LiveEvent): boolean {
  const from = Date.parse(event.horario_inicio_utc);
  const to = Date.parse(event.horario_fim_utc);
  for (const espera of state.esperas.values()) {
    const start = Date.parse(espera.horario_inicio_utc);
    if (espera.telescopio_id === event.telescopio_id && start >= from && start < to) return true;
  }
  return false;
}

function onBookingEvent(event: BookingEvent): void {
  const telescope = currentTelescope();
  if (telescope === undefined || event.telescopio_id !== telescope.id) return;
  if (!touchesDay(event, currentDayStart())) return;
  const selfBefore = state.bookings.get(event.agendamento_id)?._links.self;
  changeBoard(
    event.tipo === 'AGENDAMENTO_CRIADO'
      ? {
          kind: 'put',
          booking: {
            id: event.agendamento_id,
            telescopio_id: event.telescopio_id,
            cientista_id: event.cientista_id,
            horario_inicio_utc: event.horario_inicio_utc,
            horario_fim_utc: event.horario_fim_utc,
            status: 'ativo',
            _links: {},
          },
        }
      : { kind: 'delete', id: event.agendamento_id },
  );
  // A cancelled booking leaves the board: its own link (kept from before) shows it as cancelled.
  if (state.selected === event.agendamento_id) void refreshSelected(selfBefore);
}

// ---- fair share: waitlist, hold offers, receipts, demand ---------------------------------------------

function telescopeName(id: string): string {
  return state.telescopes.find((t) => t.id === id)?.nome ?? id;
}

function showReceipt(jws: string | undefined): void {
  state.receipt = jws;
  renderReceipt(ui.receiptPanel, ui.receipt, jws, state.root?._links.jwks);
}

function joinButton(link: Link, label: string): HTMLButtonElement {
  const button = h(
    'button',
    {
      type: 'button',
      class: 'button',
      'data-action': 'entrar-fila',
      'aria-label': `Entrar na fila de espera do horário das ${label} UTC`,
    },
    'Entrar na fila de espera',
  );
  button.addEventListener('click', () => void joinWaitlist(link, button));
  return button;
}

function leaveButton(espera: Espera): HTMLButtonElement | undefined {
  if (espera._links.sair === undefined) return undefined;
  const button = h(
    'button',
    { type: 'button', class: 'button button-quiet', 'data-action': 'sair-fila' },
    'Sair da fila',
  );
  button.addEventListener('click', () => void leaveWaitlist(espera, button));
  return button;
}

/** Replaces (or, when closed, removes) one entry: a change newer than any list load in flight. */
function putEspera(espera: Espera): void {
  if (isOpen(espera)) state.esperas.set(espera.id, espera);
  else state.esperas.delete(espera.id);
  state.esperasVersion++;
  renderFairShare();
}

function dropEspera(id: number): void {
  state.esperas.delete(id);
  state.esperasVersion++;
  renderFairShare();
}

/** POST of a refused booking's `entrar_na_fila` link (its href, with the token). */
async function joinWaitlist(link: Link, button: HTMLButtonElement): Promise<void> {
  if (state.token === undefined) return;
  button.disabled = true;
  const answer = await follow<Espera>(
    { href: link.href, method: link.method ?? 'POST' },
    { token: state.token },
  );
  button.disabled = false;
  if (answer.ok) {
    const espera = answer.body;
    putEspera(espera);
    const leave = leaveButton(espera);
    say(
      {
        tone: 'success',
        text: `Você entrou na fila de espera de ${formatDay(Date.parse(espera.horario_inicio_utc))} ${slotRange(espera)} (posição ${espera.posicao ?? '?'}). Se o horário for liberado, ele aparece aqui para você confirmar.`,
      },
      leave === undefined ? [] : [leave],
    );
    void loadDemand();
    return;
  }
  if (answer.problem.code === 'already-waiting') {
    say(problemMessage('entrar-fila', answer.problem));
    const existing = existingEsperaLink(answer.problem);
    if (existing !== undefined) {
      const entry = await follow<Espera>(existing, { token: state.token });
      if (entry.ok) putEspera(entry.body);
    }
    void loadEsperas();
    return;
  }
  const message = sayProblem('entrar-fila', answer.problem);
  if (message.needsLogin === true) ui.auth.hidden = false;
}

/** POST of an entry's `sair` link. */
async function leaveWaitlist(espera: Espera, button: HTMLButtonElement): Promise<void> {
  const sair = espera._links.sair;
  if (sair === undefined || state.token === undefined) return;
  button.disabled = true;
  const answer = await follow<Espera>(sair, { token: state.token });
  button.disabled = false;
  if (answer.ok) {
    dropEspera(espera.id);
    say({
      tone: 'info',
      text: `Você saiu da fila de espera de ${formatDay(Date.parse(espera.horario_inicio_utc))} ${slotRange(espera)}.`,
    });
    void loadDemand();
    return;
  }
  sayProblem('sair-fila', answer.problem);
  void loadEsperas();
}

/** POST of an offered entry's `confirmar` link: the hold becomes a booking (with a receipt). */
async function confirmHold(espera: Espera, button: HTMLButtonElement): Promise<void> {
  const confirmar = espera._links.confirmar;
  if (confirmar === undefined || state.token === undefined || state.confirming.has(espera.id)) return;
  const key = state.confirmKeys.get(espera.id) ?? crypto.randomUUID();
  state.confirmKeys.set(espera.id, key);
  state.confirming.add(espera.id);
  button.disabled = true;
  const answer = await follow<Booking>(confirmar, {
    token: state.token,
    headers: { 'idempotency-key': key },
  });
  state.confirming.delete(espera.id);
  button.disabled = false;
  if (answer.ok) {
    state.confirmKeys.delete(espera.id);
    dropEspera(espera.id);
    const booking = answer.body;
    const telescope = currentTelescope();
    if (telescope?.id === booking.telescopio_id && touchesDay(booking, currentDayStart())) {
      changeBoard({ kind: 'put', booking });
    }
    state.selected = booking.id;
    render();
    renderBooking(booking);
    const start = Date.parse(booking.horario_inicio_utc);
    const recibo = typeof booking.recibo === 'string';
    if (recibo) showReceipt(booking.recibo);
    say({
      tone: 'success',
      text: `Agendamento confirmado pela fila de espera: ${telescopeName(booking.telescopio_id)}, ${formatDay(start)} das ${hhmm(start)} às ${hhmm(Date.parse(booking.horario_fim_utc))} UTC (nº ${booking.id}).${recibo ? ' Recibo assinado emitido: baixe-o em "Recibo da decisão".' : ''}`,
    });
    void refreshMe();
    void loadDemand();
    return;
  }
  if (answer.status === 0 || answer.status >= 500) {
    sayProblem('confirmar', answer.problem); // the same key is resent by the next click
    return;
  }
  state.confirmKeys.delete(espera.id);
  if (answer.problem.code === 'hold-expired') {
    dropEspera(espera.id);
    say({ tone: 'warning', text: HOLD_EXPIRED });
    void loadEsperas();
    return;
  }
  const message = sayProblem('confirmar', answer.problem);
  if (message.needsLogin === true) ui.auth.hidden = false;
  if (answer.problem.code === 'quota-exceeded') void refreshMe();
  void loadEsperas();
}

/**
 * Loads the open entries (`_links.esperas` of the scientist, or of the root). A single entry that
 * changed while the list was in flight (an offer pushed live, a join, a confirmation) makes the
 * list load again rather than overwrite it with an older picture.
 */
async function loadEsperas(): Promise<void> {
  if (state.token === undefined || state.me === undefined) return;
  if (state.esperasLoading) {
    state.esperasReloadRequested = true;
    return;
  }
  state.esperasLoading = true;
  try {
    for (let round = 0; round < 5; round++) {
      state.esperasReloadRequested = false;
      // Read afresh each round: the session may have ended during the previous request.
      const { me, token } = session();
      const link = me?._links.esperas ?? state.root?._links.esperas;
      if (link === undefined || token === undefined) return;
      const version = state.esperasVersion;
      const answer = await follow<Hal>(link, { token });
      if (!answer.ok) {
        if (answer.status === 401) sayProblem('carregar', answer.problem);
        return;
      }
      if (session().token !== token) return;
      if (version !== state.esperasVersion || reloadRequested()) {
        if (round < 4) continue;
      }
      const previous = state.esperas;
      state.esperas = new Map(
        embedded<Espera>(answer.body, 'esperas')
          .filter(isOpen)
          .map((e) => [e.id, e]),
      );
      // An offer gone from the list after its deadline ran out (its ESPERA_EXPIRADA may come later).
      for (const old of previous.values()) {
        const deadline = old.oferta_expira_em_utc === null ? NaN : Date.parse(old.oferta_expira_em_utc);
        if (isOffer(old) && !state.esperas.has(old.id) && deadline <= serverNow()) announceExpiry(old);
      }
      renderFairShare();
      return;
    }
  } finally {
    state.esperasLoading = false;
  }
}

/** The session as it is now (not as narrowed before an await). */
function session(): { me: Scientist | undefined; token: string | undefined } {
  return { me: state.me, token: state.token };
}

function reloadRequested(): boolean {
  return state.esperasReloadRequested;
}

let esperasTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleEsperas(delayMs = 400): void {
  if (esperasTimer !== undefined) clearTimeout(esperasTimer);
  esperasTimer = setTimeout(() => {
    esperasTimer = undefined;
    void loadEsperas();
  }, delayMs);
}

function onWaitlistEvent(event: WaitlistEvent): void {
  if (state.me === undefined || state.token === undefined || event.cientista_id !== state.me.id) return;
  if (event.tipo === 'ESPERA_OFERECIDA') {
    void fetchEspera(event.espera_id);
    return;
  }
  // ESPERA_EXPIRADA: the hold ran out before we confirmed it.
  const known = state.esperas.get(event.espera_id);
  dropEspera(event.espera_id);
  if (known !== undefined) announceExpiry(known);
}

function announceExpiry(espera: Espera): void {
  if (state.announcedExpiries.has(espera.id)) return;
  state.announcedExpiries.add(espera.id);
  say({
    tone: 'warning',
    text: `O prazo para confirmar ${formatDay(Date.parse(espera.horario_inicio_utc))} ${slotRange(espera)} acabou; o horário passou para o próximo da fila.`,
  });
}

/** GET of one entry: its `self` link when we know it, else /esperas/{id} (the id from the event). */
async function fetchEspera(id: number): Promise<void> {
  const link = state.esperas.get(id)?._links.self ?? { href: `/esperas/${encodeURIComponent(String(id))}` };
  state.esperasVersion++; // a list load running now predates this offer: it must load again
  const answer = await follow<Espera>(link, { token: state.token });
  if (answer.ok) putEspera(answer.body);
  else scheduleEsperas(0);
}

/** The offers (prominent, with countdowns) and the waitlist panel, from `state.esperas`. */
function renderFairShare(): void {
  const entries = sortEsperas(state.esperas.values());
  const offers = entries.filter(isOffer);
  renderOffers(
    ui.offers,
    offers,
    {
      confirm: (espera, button) => void confirmHold(espera, button),
      leave: (espera, button) => void leaveWaitlist(espera, button),
    },
    telescopeName,
  );
  tickOffers(ui.offers, serverNow());
  ui.waitlistPanel.hidden = state.me === undefined;
  renderWaitlist(ui.waitlist, entries, (espera, button) => void leaveWaitlist(espera, button), telescopeName);
  for (const offer of offers) {
    if (state.announcedOffers.has(offer.id)) continue;
    state.announcedOffers.add(offer.id);
    const until =
      offer.oferta_expira_em_utc === null
        ? ''
        : ` Confirme até ${clockText(Date.parse(offer.oferta_expira_em_utc)).slice(0, 8)} UTC.`;
    say({
      tone: 'success',
      text: `Um horário da sua fila de espera foi liberado para você: ${telescopeName(offer.telescopio_id)}, ${formatDay(Date.parse(offer.horario_inicio_utc))} ${slotRange(offer)}.${until}`,
    });
  }
}

/** The shown telescope's `demanda` (templated `{?de,ate}`) for the shown UTC day → heat map. */
async function loadDemand(): Promise<void> {
  const telescope = currentTelescope();
  const link = telescope?._links.demanda;
  if (telescope === undefined || link === undefined) {
    ui.demandPanel.hidden = true;
    return;
  }
  ui.demandPanel.hidden = false;
  const dayStart = currentDayStart();
  const seq = ++state.demandSeq;
  const href =
    link.templated === true
      ? expandTemplate(link.href, { de: isoWithMs(dayStart), ate: isoWithMs(dayStart + DAY_MS) })
      : link.href;
  const day = formatDay(dayStart);
  setText(ui.demandTitle, `Demanda do dia — ${telescope.nome}, ${day} (UTC)`);
  setAttr(ui.heatmap, 'aria-busy', 'true');
  const answer = await follow<DemandAnswer>({ href });
  if (seq !== state.demandSeq) return; // a newer load (or another day) superseded this one
  if (!answer.ok) {
    setAttr(ui.heatmap, 'aria-busy', 'false');
    setText(ui.demandSummary, 'A demanda deste dia não está disponível agora.');
    return;
  }
  const cells = buildDemandDay(dayStart, answer.body.slots);
  heatmap.render(cells, {
    busy: false,
    label: `Mapa de calor da demanda: ${telescope.nome}, ${day}, por horário UTC (tentativas + fila de espera)`,
  });
  setText(ui.demandSummary, demandSummary(cells));
}

let demandTimer: ReturnType<typeof setTimeout> | undefined;
/** Live events come in bursts: one demand load per burst. */
function scheduleDemand(delayMs = 750): void {
  if (demandTimer !== undefined) clearTimeout(demandTimer);
  demandTimer = setTimeout(() => {
    demandTimer = undefined;
    void loadDemand();
  }, delayMs);
}

// ---- formatting ---------------------------------------------------------------------------------------

function formatDay(ms: number): string {
  return new Intl.DateTimeFormat('pt-BR', {
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(ms);
}

function formatMs(ms: number): string {
  return `${new Intl.NumberFormat('pt-BR', { maximumFractionDigits: 1 }).format(ms)} ms`;
}

// ---- start ------------------------------------------------------------------------------------------

async function start(): Promise<void> {
  renderSession();
  ui.day.value = tomorrowUtc(Date.now());
  render();
  requestAnimationFrame(tick);
  while (!(await loadRoot())) {
    say({ tone: 'error', text: `${UNAVAILABLE} Nova tentativa em 3 s.` });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  }
  const root = state.root;
  if (root === undefined) return;
  const tempo = root._links.tempo;
  if (tempo !== undefined) {
    state.clock = startServerClock(tempo.href);
    state.clock.onChange(() => {
      // The default day is "tomorrow" on the server's calendar, once we know it (this machine's
      // calendar may disagree near midnight or with a wrong clock), unless the user chose a day.
      const tomorrow = tomorrowUtc(serverNow());
      if (!dayChosen && ui.day.value !== tomorrow) {
        ui.day.value = tomorrow;
        onViewChanged();
      }
    });
  }
  await loadMe();
  if (state.me === undefined) ui.auth.hidden = false;
  await loadTelescopes();
  await loadBoard();
  void loadDemand();
  state.live = startLive({
    eventsHref: root._links.eventos?.href,
    onEvent: onLiveEvent,
    // On (re)connect, `reset` and every poll: the board, the demand and our queues and offers.
    reload: () => {
      void loadBoard();
      scheduleDemand(0);
      void loadEsperas();
    },
    onMode: setLiveMode,
  });
  if (!ui.statusBox.hidden && ui.statusBox.dataset.tone === 'error') ui.statusBox.hidden = true;
}

window.addEventListener('pagehide', () => {
  state.live?.stop();
  state.clock?.stop();
});

void start();
