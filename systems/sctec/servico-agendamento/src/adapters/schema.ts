import type { AuditTables } from '@dslab/audit-log';
import type { Generated } from 'kysely';

/** The scheduler's tables (column names in Portuguese, as the seed's wire fields). */
export interface SchedulerTables extends AuditTables {
  cientistas: {
    id: Generated<number>;
    nome: string;
    email: string;
    senha_hash: string;
    instituicao: string | null;
    papel: 'cientista' | 'admin';
    criado_em_utc: string;
    /** Observing minutes per period set by an admin; null: the configured default applies. */
    cota_minutos: Generated<number | null>;
  };
  telescopios: {
    id: string;
    nome: string;
    descricao: string | null;
    criado_em_utc: string;
  };
  agendamentos: {
    id: Generated<number>;
    telescopio_id: string;
    cientista_id: number;
    horario_inicio_utc: string;
    horario_fim_utc: string;
    inicio_ms: number;
    fim_ms: number;
    status: 'ativo' | 'cancelado';
    /** Server time the request arrived (the scheduler's clock is the source of truth). */
    recebido_em_utc: string;
    criado_em_utc: string;
    /** The client's synced click time and its uncertainty: evidence, not the decision rule. */
    horario_clique_utc: string | null;
    incerteza_ms: number | null;
    /** Fencing tokens granted for the booking's slots, JSON array in slot order. */
    tokens: string;
    cancelado_em_utc: string | null;
    cancelado_por: number | null;
  };
  /** One row per 5-minute slot of a booking; the unique index over active rows is the last line of defence. */
  agendamento_slots: {
    agendamento_id: number;
    telescopio_id: string;
    slot_inicio_ms: number;
    ativo: number;
    /** 1: the slot's 5 minutes count against the owner's quota; 0 once a cancellation refunded them. */
    conta_cota: Generated<number>;
  };
  /** Waitlist entries, one per scientist and slot while open; the order of a slot's list is id order. */
  esperas: {
    id: Generated<number>;
    telescopio_id: string;
    slot_inicio_ms: number;
    cientista_id: number;
    status: 'aguardando' | 'oferecida' | 'aceita' | 'expirada' | 'saiu';
    entrou_em_utc: string;
    oferecida_em_utc: string | null;
    oferta_expira_ms: number | null;
    encerrada_em_utc: string | null;
    agendamento_id: number | null;
  };
  /**
   * Per slot: booking attempts (wins and losses, for GET /telescopios/{id}/demanda), and the row
   * every waitlist change of the slot locks first, so those changes are serialized per slot.
   */
  slot_demanda: { telescopio_id: string; slot_inicio_ms: number; tentativas: number };
  /** Highest fencing token seen per lock resource (DESIGN.md §7). */
  lock_fences: { recurso: string; token: number };
  idempotency_keys: {
    escopo: string;
    chave: string;
    hash_pedido: string;
    estado: 'em_andamento' | 'concluido';
    status_code: number | null;
    resposta: string | null;
    location: string | null;
    criado_em_ms: number;
  };
}
