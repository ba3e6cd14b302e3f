export {
  HEADERS,
  PoisonMessageError,
  type ConsumeOptions,
  type DeadLetter,
  type HeaderValue,
  type MessageBus,
  type MessageHandler,
  type OutgoingMessage,
  type QueueDepth,
  type QueueOptions,
  type ReceivedMessage,
  type Subscription,
} from './types.js';
export { createAmqpBus, type AmqpBusOptions } from './amqp-bus.js';
export { createInProcessBus, type InProcessBusOptions } from './in-process-bus.js';
export {
  deadLetterQueueName,
  defaultRetryDelayMs,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_PREFETCH,
  isPoisonMessage,
  retryQueueName,
  type BusLogger,
} from './defaults.js';
