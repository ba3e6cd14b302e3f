/**
 * What the scientist reads after each action, in pt-BR. Branches on the problem `code` (the
 * API's contract), never on `detail`; `detail` is shown only where it explains a refusal.
 */
import type { Problem } from './api.js';

export type Tone = 'success' | 'error' | 'warning' | 'info';

export interface Message {
  readonly tone: Tone;
  readonly text: string;
  /** The session is gone: show the login form. */
  readonly needsLogin?: boolean;
}

export type Action =
  | 'agendar'
  | 'cancelar'
  | 'entrar'
  | 'registrar'
  | 'carregar'
  /** Join a waitlist. */
  | 'entrar-fila'
  /** Leave a waitlist. */
  | 'sair-fila'
  /** Confirm a hold offered from the waitlist. */
  | 'confirmar';

export const UNAVAILABLE = 'Serviço indisponível, tente novamente.';
export const LOST_RACE = 'Outro cientista reservou este horário primeiro.';
export const HOLD_EXPIRED =
  'A oferta da fila de espera não vale mais (o prazo acabou ou ela já foi usada); o horário passou para o próximo da fila.';

const pad = (n: number) => String(n).padStart(2, '0');
/** "10:02:13" (UTC) of an ISO instant, or undefined. */
function timeOf(iso: string | undefined): string | undefined {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  if (!Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** The 422 quota-exceeded in pt-BR from its extensions, followed by the server's detail. */
function quotaMessage(problem: Problem, detail: string): string {
  const { pedidos_minutos: asked, restantes_minutos: left, alocados_minutos: total, periodo } = problem;
  const head =
    typeof asked === 'number' && typeof left === 'number' && typeof total === 'number'
      ? `Cota de tempo insuficiente: o pedido precisa de ${asked} min${periodo === undefined ? '' : ` em ${periodo}`}, mas restam ${left} de ${total} min.`
      : 'Cota de tempo insuficiente para este pedido.';
  return detail === '' ? head : `${head} (${detail})`;
}

const CONFLICT_VERBS: Record<Action, string> = {
  agendar: 'concluir',
  cancelar: 'cancelar',
  entrar: 'concluir',
  registrar: 'concluir',
  carregar: 'concluir',
  'entrar-fila': 'entrar na fila de espera',
  'sair-fila': 'sair da fila de espera',
  confirmar: 'confirmar',
};

const LOGIN_VERBS: Record<Action, string> = {
  agendar: 'agendar',
  cancelar: 'cancelar',
  entrar: 'agendar',
  registrar: 'agendar',
  carregar: 'agendar',
  'entrar-fila': 'entrar na fila de espera',
  'sair-fila': 'sair da fila de espera',
  confirmar: 'confirmar o horário',
};

/** The message for a failed request. */
export function problemMessage(action: Action, problem: Problem): Message {
  const detail = problem.detail === undefined || problem.detail === '' ? '' : problem.detail;
  if (problem.status === 0 || problem.status === 502 || problem.status === 503 || problem.status === 504) {
    return { tone: 'error', text: UNAVAILABLE };
  }
  switch (problem.code) {
    case 'slot-taken':
      return { tone: 'warning', text: LOST_RACE };
    case 'slot-held': {
      const until = timeOf(problem.oferta_expira_em_utc);
      return {
        tone: 'warning',
        text: `Este horário está reservado para quem está na fila de espera${until === undefined ? '' : ` até ${until} UTC`}.`,
      };
    }
    case 'hold-expired':
      return { tone: 'warning', text: HOLD_EXPIRED };
    case 'already-waiting':
      return { tone: 'info', text: 'Você já está na fila de espera deste horário.' };
    case 'quota-exceeded':
      return { tone: 'error', text: quotaMessage(problem, detail) };
    case 'stale-token':
      return {
        tone: 'warning',
        text: 'A reserva deste horário perdeu a vez (outro pedido passou na frente); nada foi salvo. Tente novamente.',
      };
    case 'idempotency-in-progress':
      return {
        tone: 'info',
        text: 'Seu pedido anterior para este horário ainda está em processamento; aguarde.',
      };
    case 'idempotency-key-reused':
      return { tone: 'error', text: 'Este pedido já foi usado com outros dados; clique de novo no horário.' };
    case 'already-cancelled':
      return { tone: 'info', text: 'Este agendamento já estava cancelado.' };
    case 'email-taken':
      return { tone: 'error', text: 'Este e-mail já está cadastrado. Entre com a sua senha.' };
    case 'invalid-credentials':
      return { tone: 'error', text: 'E-mail ou senha incorretos.' };
    case 'rate-limited':
      return {
        tone: 'error',
        text: 'Muitas requisições em pouco tempo; aguarde um instante e tente novamente.',
      };
    case 'not-found':
      return { tone: 'error', text: `Não encontrado${detail === '' ? '.' : `: ${detail}`}` };
    case 'validation-failed':
    case 'malformed-json':
      return { tone: 'error', text: `Pedido inválido: ${detail === '' ? 'verifique os dados.' : detail}` };
    case 'conflict':
      return {
        tone: 'error',
        text: `Não é possível ${CONFLICT_VERBS[action]}: ${detail === '' ? 'o estado mudou.' : detail}`,
      };
    default:
      break;
  }
  if (problem.status === 401) {
    return action === 'entrar'
      ? { tone: 'error', text: 'E-mail ou senha incorretos.' }
      : {
          tone: 'error',
          text: `Entre com sua conta para ${LOGIN_VERBS[action]} (sessão ausente ou expirada).`,
          needsLogin: true,
        };
  }
  if (problem.status === 403) {
    return {
      tone: 'error',
      text: `Você não tem permissão para isso${detail === '' ? '.' : `: ${detail}`}`,
    };
  }
  if (problem.status === 409)
    return { tone: 'warning', text: `Conflito: ${detail || 'o estado mudou; recarregue.'}` };
  if (problem.status >= 400 && problem.status < 500) {
    return {
      tone: 'error',
      text: `Pedido recusado (${problem.status})${detail === '' ? '.' : `: ${detail}`}`,
    };
  }
  return { tone: 'error', text: `${UNAVAILABLE} (erro ${problem.status})` };
}
