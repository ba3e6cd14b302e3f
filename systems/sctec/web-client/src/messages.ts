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

export type Action = 'agendar' | 'cancelar' | 'entrar' | 'registrar' | 'carregar';

export const UNAVAILABLE = 'Serviço indisponível, tente novamente.';
export const LOST_RACE = 'Outro cientista reservou este horário primeiro.';

/** The message for a failed request. */
export function problemMessage(action: Action, problem: Problem): Message {
  const detail = problem.detail === undefined || problem.detail === '' ? '' : problem.detail;
  if (problem.status === 0 || problem.status === 502 || problem.status === 503 || problem.status === 504) {
    return { tone: 'error', text: UNAVAILABLE };
  }
  switch (problem.code) {
    case 'slot-taken':
      return { tone: 'warning', text: LOST_RACE };
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
        text: `Não é possível ${action === 'cancelar' ? 'cancelar' : 'concluir'}: ${detail === '' ? 'o estado mudou.' : detail}`,
      };
    default:
      break;
  }
  if (problem.status === 401) {
    return action === 'entrar'
      ? { tone: 'error', text: 'E-mail ou senha incorretos.' }
      : {
          tone: 'error',
          text: `Entre com sua conta para ${action === 'cancelar' ? 'cancelar' : 'agendar'} (sessão ausente ou expirada).`,
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
