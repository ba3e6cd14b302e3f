/**
 * SCTEC web client (seed 000, delivery 4). Starts from one URL, the API root `/`, and follows its
 * HAL links: `tempo` to sync the clock, `registrar`/`token` to sign in, `telescopios` and the
 * templated `agendamentos` to fill the board, a telescope's `agendar` to book, a booking's
 * `cancelar` (only present when the server allows it) to cancel, `eventos` for live updates.
 */
import { embedded, follow, linkOf, type Hal, type Link, type Outcome, type Problem } from './api.js';
import { Board } from './board.js';
import { startServerClock, type ServerClock } from './clock.js';
import { byId, h, setAttr, setText } from './dom.js';
import { startLive, type BookingEvent, type LiveMode } from './live.js';
import { problemMessage, UNAVAILABLE, type Action, type Message } from './messages.js';
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
}

interface Booking extends Omit<BoardBooking, '_links'>, Hal {
  readonly recebido_em_utc?: string;
  readonly criado_em_utc?: string;
  readonly horario_clique_utc?: string | null;
  readonly incerteza_ms?: number | null;
  readonly cancelado_em_utc?: string | null;
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
  status: byId('status', HTMLDivElement),
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
};

const board = new Board(ui.board, (slot) => void onSlot(slot));

// ---- messages ---------------------------------------------------------------------------------

function say(message: Message): void {
  ui.status.hidden = false;
  ui.status.dataset.tone = message.tone;
  ui.status.textContent = message.text;
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
  requestAnimationFrame(tick);
}

// ---- session ----------------------------------------------------------------------------------

function forgetSession(): void {
  state.token = undefined;
  state.me = undefined;
  sessionStorage.removeItem(TOKEN_KEY);
  renderSession();
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
    say({
      tone: 'success',
      text: `Agendamento confirmado: ${telescope.nome}, ${formatDay(slot.startMs)} das ${slot.label} às ${hhmm(slot.startMs + SLOT_MS)} UTC (nº ${answer.body.id}).${clique}`,
    });
    render();
    renderBooking(answer.body);
    return;
  }
  // 5xx or no answer: the server freed the key (or never saw it); a retry click resends the same
  // intent. Anything else is final for this intent.
  if (!(answer.status === 0 || answer.status >= 500 || answer.problem.code === 'idempotency-in-progress')) {
    state.intents.delete(slot.iso);
  }
  const message = sayProblem('agendar', answer.problem);
  if (message.needsLogin === true) ui.auth.hidden = false;
  render();
  if (answer.problem.code === 'slot-taken' || answer.status === 409) await loadBoard();
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
async function refreshSelected(): Promise<void> {
  const id = state.selected;
  if (id === undefined) return;
  const known = state.bookings.get(id);
  const self = known?._links.self;
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
    say({
      tone: 'success',
      text: `Agendamento cancelado: ${formatDay(start)} das ${hhmm(start)} às ${hhmm(Date.parse(answer.body.horario_fim_utc))} UTC. O horário está livre de novo.`,
    });
    render();
    renderBooking(answer.body);
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

function onBookingEvent(event: BookingEvent): void {
  const telescope = currentTelescope();
  if (telescope === undefined || event.telescopio_id !== telescope.id) return;
  if (!touchesDay(event, currentDayStart())) return;
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
  if (state.selected === event.agendamento_id) void refreshSelected();
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
  state.live = startLive({
    eventsHref: root._links.eventos?.href,
    onEvent: onBookingEvent,
    reload: () => void loadBoard(),
    onMode: setLiveMode,
  });
  if (!ui.status.hidden && ui.status.dataset.tone === 'error') ui.status.hidden = true;
}

window.addEventListener('pagehide', () => {
  state.live?.stop();
  state.clock?.stop();
});

void start();
