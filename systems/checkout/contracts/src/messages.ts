/**
 * The asynchronous checkout's messages (seed 004): the commands pedidos (the orchestrator) sends
 * to each service's work queue and the events the services answer on pedidos' queue. One order's
 * saga is a conversation of these, one step at a time, every message carried by the broker
 * behind `@dslab/messaging` and written first to the sender's transactional outbox.
 *
 * Every message has the same envelope (`tipo`, `pedido_id`, `trace_id`, `emitido_em`, `dados`).
 * Message ids are deterministic (`<sender>:<pedido_id>:<tipo>`): a step is asked for at most once
 * per order, so the outbox refuses a second copy and a consumer recognises a redelivery.
 *
 * Pure: no I/O. `parseMessage` is what a consumer runs on the bytes it received; anything it
 * refuses can never succeed, so the consumer dead-letters it at once (PoisonMessageError).
 */
import {
  ENVIO_STATUS_VALUES,
  METODO_PAGAMENTO_VALUES,
  PAGAMENTO_STATUS_VALUES,
  type EnvioValue,
  type EstornoValue,
  type ItemComPrecoValue,
  type ItemQuantidade,
  type MetodoPagamentoValue,
  type NotaFiscalValue,
  type PagamentoValue,
  type SeparacaoValue,
} from './ports.js';
import { isCentavos, isId, isIntIn, isRecord, MAX_ITENS, MAX_QUANTIDADE } from './validation.js';

/** The services that own a queue in the asynchronous checkout. */
export const ASYNC_SERVICES = ['pedidos', 'estoque', 'pagamentos', 'fiscal', 'logistica'] as const;
export type AsyncService = (typeof ASYNC_SERVICES)[number];

/**
 * The queue each service consumes: pedidos its events, the others their commands. `prefix`
 * namespaces a deployment (tests use a unique one); the default is `checkout`.
 */
export function queueOf(service: AsyncService, prefix = 'checkout'): string {
  return service === 'pedidos' ? `${prefix}.pedidos.eventos` : `${prefix}.${service}.comandos`;
}

/** A shortage found by estoque: the product, what was asked and what there is. */
export interface FaltaValue {
  readonly produto_id: number;
  readonly solicitado: number;
  readonly disponivel: number;
}

/** A service's refusal of a command (a 4xx AppError): the step did not happen. */
export interface RecusaValue {
  /** The refused command's tipo. */
  readonly comando: CommandType;
  /** The error catalog's code (`validation-failed`, `conflict`, …). */
  readonly codigo: string;
  readonly detalhe: string;
}

/** Commands: what pedidos asks a service to do, and that service's queue. */
export interface CommandData {
  /** Advisory check before charging: is there enough stock for every line now? */
  VERIFICAR_ESTOQUE: { readonly itens: readonly ItemQuantidade[] };
  PROCESSAR_PAGAMENTO: { readonly valor_centavos: number; readonly metodo: MetodoPagamentoValue };
  SEPARAR_ESTOQUE: { readonly itens: readonly ItemQuantidade[] };
  EMITIR_NOTA_FISCAL: { readonly valor_centavos: number; readonly itens: readonly ItemComPrecoValue[] };
  AGENDAR_ENVIO: { readonly nota_fiscal_id: number; readonly numero_nota_fiscal: string };
  /** Compensation: refund (or void, if the charge never happened). */
  ESTORNAR_PAGAMENTO: { readonly motivo: string };
  /** Compensation: give back what the order holds. */
  LIBERAR_ESTOQUE: { readonly motivo: string };
}
export type CommandType = keyof CommandData;

/** Which service consumes each command. */
export const COMMAND_TARGET: Readonly<Record<CommandType, Exclude<AsyncService, 'pedidos'>>> = {
  VERIFICAR_ESTOQUE: 'estoque',
  PROCESSAR_PAGAMENTO: 'pagamentos',
  SEPARAR_ESTOQUE: 'estoque',
  EMITIR_NOTA_FISCAL: 'fiscal',
  AGENDAR_ENVIO: 'logistica',
  ESTORNAR_PAGAMENTO: 'pagamentos',
  LIBERAR_ESTOQUE: 'estoque',
};
export const COMMAND_TYPES = Object.keys(COMMAND_TARGET) as CommandType[];

/** Events: what happened, always consumed by pedidos. */
export interface EventData {
  /** Written by the API with the order: starts the saga. */
  PEDIDO_CRIADO: { readonly itens: readonly ItemComPrecoValue[]; readonly valor_total_centavos: number };
  ESTOQUE_VERIFICADO: { readonly disponivel: boolean; readonly faltas: readonly FaltaValue[] };
  /** Approved or rejected (`pagamento.sucesso`): a rejection is an answer, not a failure. */
  PAGAMENTO_PROCESSADO: { readonly pagamento: PagamentoValue };
  ESTOQUE_SEPARADO: { readonly separacao: SeparacaoValue };
  ESTOQUE_INSUFICIENTE: { readonly faltas: readonly FaltaValue[] };
  NOTA_FISCAL_EMITIDA: { readonly nota: NotaFiscalValue };
  ENVIO_AGENDADO: { readonly envio: EnvioValue };
  PAGAMENTO_ESTORNADO: { readonly estorno: EstornoValue };
  ESTOQUE_LIBERADO: { readonly separacao: SeparacaoValue };
  ETAPA_RECUSADA: RecusaValue;
}
export type EventType = keyof EventData;
export const EVENT_TYPES: readonly EventType[] = [
  'PEDIDO_CRIADO',
  'ESTOQUE_VERIFICADO',
  'PAGAMENTO_PROCESSADO',
  'ESTOQUE_SEPARADO',
  'ESTOQUE_INSUFICIENTE',
  'NOTA_FISCAL_EMITIDA',
  'ENVIO_AGENDADO',
  'PAGAMENTO_ESTORNADO',
  'ESTOQUE_LIBERADO',
  'ETAPA_RECUSADA',
];

interface EnvelopeOf<T extends string, D> {
  readonly tipo: T;
  readonly pedido_id: number;
  /** W3C trace id of the request that placed the order: one order's lines share it in every log. */
  readonly trace_id: string;
  /** When the sender wrote the message (UTC ISO-8601 with milliseconds). */
  readonly emitido_em: string;
  readonly dados: D;
}

export type Command = { [T in CommandType]: EnvelopeOf<T, CommandData[T]> }[CommandType];
export type Event = { [T in EventType]: EnvelopeOf<T, EventData[T]> }[EventType];
export type Message = Command | Event;
export type CommandOf<T extends CommandType> = Extract<Command, { tipo: T }>;
export type EventOf<T extends EventType> = Extract<Event, { tipo: T }>;

/**
 * The deterministic message id: `<sender>:<pedido_id>:<tipo>`, and for a refusal also the refused
 * command (`…:ETAPA_RECUSADA:SEPARAR_ESTOQUE`): each is sent at most once per order.
 */
export function messageIdOf(sender: AsyncService, message: Message): string {
  const base = `${sender}:${message.pedido_id}:${message.tipo}`;
  return message.tipo === 'ETAPA_RECUSADA' ? `${base}:${message.dados.comando}` : base;
}

/** The queue a message goes to: a command to its service's, an event to pedidos'. */
export function destinationOf(message: Pick<Message, 'tipo'>, prefix = 'checkout'): string {
  const target = (COMMAND_TARGET as Readonly<Record<string, AsyncService | undefined>>)[message.tipo];
  return queueOf(target ?? 'pedidos', prefix);
}

export function isCommand(message: Message): message is Command {
  return (COMMAND_TYPES as readonly string[]).includes(message.tipo);
}

// ---------------------------------------------------------------------------------------------
// Parsing what arrived

/** Why a received message cannot be a checkout message (the consumer dead-letters it). */
export type Parsed =
  { readonly ok: true; readonly message: Message } | { readonly ok: false; readonly reason: string };

const isText = (value: unknown, max = 1000): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max;

function isItens(value: unknown, priced: boolean): boolean {
  return (
    Array.isArray(value) &&
    value.length >= 1 &&
    value.length <= MAX_ITENS &&
    value.every(
      (item) =>
        isRecord(item) &&
        isId(item['produto_id']) &&
        isIntIn(item['quantidade'], 1, MAX_QUANTIDADE) &&
        (!priced || isCentavos(item['preco_unitario_centavos'])),
    )
  );
}

function isFaltas(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.every(
      (f) =>
        isRecord(f) &&
        isId(f['produto_id']) &&
        typeof f['solicitado'] === 'number' &&
        typeof f['disponivel'] === 'number',
    )
  );
}

const hasRecord = (dados: Readonly<Record<string, unknown>>, key: string) => isRecord(dados[key]);

/** Checks `dados` of each type: enough for the consumer to act on without a second guess. */
const DADOS_CHECKS: Readonly<
  Record<CommandType | EventType, (d: Readonly<Record<string, unknown>>) => boolean>
> = {
  VERIFICAR_ESTOQUE: (d) => isItens(d['itens'], false),
  PROCESSAR_PAGAMENTO: (d) =>
    isCentavos(d['valor_centavos']) && (METODO_PAGAMENTO_VALUES as readonly unknown[]).includes(d['metodo']),
  SEPARAR_ESTOQUE: (d) => isItens(d['itens'], false),
  EMITIR_NOTA_FISCAL: (d) => isCentavos(d['valor_centavos']) && isItens(d['itens'], true),
  AGENDAR_ENVIO: (d) => isId(d['nota_fiscal_id']) && isText(d['numero_nota_fiscal'], 64),
  ESTORNAR_PAGAMENTO: (d) => isText(d['motivo']),
  LIBERAR_ESTOQUE: (d) => isText(d['motivo']),
  PEDIDO_CRIADO: (d) => isItens(d['itens'], true) && isCentavos(d['valor_total_centavos']),
  ESTOQUE_VERIFICADO: (d) => typeof d['disponivel'] === 'boolean' && isFaltas(d['faltas']),
  PAGAMENTO_PROCESSADO: (d) =>
    hasRecord(d, 'pagamento') &&
    typeof (d['pagamento'] as Record<string, unknown>)['sucesso'] === 'boolean' &&
    (PAGAMENTO_STATUS_VALUES as readonly unknown[]).includes(
      (d['pagamento'] as Record<string, unknown>)['status'],
    ),
  ESTOQUE_SEPARADO: (d) => hasRecord(d, 'separacao'),
  ESTOQUE_INSUFICIENTE: (d) => isFaltas(d['faltas']),
  NOTA_FISCAL_EMITIDA: (d) =>
    hasRecord(d, 'nota') &&
    isId((d['nota'] as Record<string, unknown>)['nota_fiscal_id']) &&
    isText((d['nota'] as Record<string, unknown>)['numero'], 64),
  ENVIO_AGENDADO: (d) =>
    hasRecord(d, 'envio') &&
    isText((d['envio'] as Record<string, unknown>)['codigo_rastreamento'], 64) &&
    (ENVIO_STATUS_VALUES as readonly unknown[]).includes((d['envio'] as Record<string, unknown>)['status']),
  PAGAMENTO_ESTORNADO: (d) => hasRecord(d, 'estorno'),
  ESTOQUE_LIBERADO: (d) => hasRecord(d, 'separacao'),
  ETAPA_RECUSADA: (d) =>
    (COMMAND_TYPES as readonly unknown[]).includes(d['comando']) &&
    isText(d['codigo'], 100) &&
    typeof d['detalhe'] === 'string',
};

/** Parses and checks a received message body (bytes as published). */
export function parseMessage(content: Buffer | string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(typeof content === 'string' ? content : content.toString('utf8'));
  } catch {
    return { ok: false, reason: 'the body is not JSON' };
  }
  if (!isRecord(value)) return { ok: false, reason: 'the body is not a JSON object' };
  const tipo = value['tipo'];
  if (typeof tipo !== 'string' || !Object.hasOwn(DADOS_CHECKS, tipo))
    return { ok: false, reason: `unknown tipo ${JSON.stringify(tipo)}` };
  if (!isId(value['pedido_id'])) return { ok: false, reason: `${tipo}: pedido_id must be a positive id` };
  if (!isText(value['trace_id'], 64)) return { ok: false, reason: `${tipo}: trace_id is missing` };
  if (!isText(value['emitido_em'], 40) || Number.isNaN(Date.parse(value['emitido_em'])))
    return { ok: false, reason: `${tipo}: emitido_em must be an ISO-8601 time` };
  const dados = value['dados'];
  if (!isRecord(dados) || !DADOS_CHECKS[tipo as CommandType | EventType](dados))
    return { ok: false, reason: `${tipo}: dados do not have the fields of a ${tipo}` };
  return { ok: true, message: value as unknown as Message };
}

/** Builds a message with its envelope. */
export function messageOf<T extends CommandType | EventType>(
  tipo: T,
  pedido_id: number,
  dados: T extends CommandType ? CommandData[T] : T extends EventType ? EventData[T] : never,
  context: { readonly traceId: string; readonly at: string },
): Message {
  return { tipo, pedido_id, trace_id: context.traceId, emitido_em: context.at, dados } as unknown as Message;
}
