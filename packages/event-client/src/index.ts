export {
  BOOKING_EVENT_TYPES,
  RESET_EVENT,
  isBookingEventType,
  type BookingEventData,
  type BookingEventPayload,
  type BookingEventType,
} from './events.js';
export {
  createEventPublisher,
  type EventPublisher,
  type EventPublisherOptions,
  type PublishResult,
} from './publisher.js';
export { createSseParser, type SseMessage, type SseParser, type SseParserOptions } from './sse-parser.js';
export { formatSseComment, formatSseEvent } from './sse-format.js';
export {
  createSseHub,
  SSE_HEADERS,
  streamRefusal,
  type HubEvent,
  type ResetReason,
  type Resume,
  type SseHub,
  type SseHubOptions,
} from './sse-hub.js';
export { SseHttpError, subscribeEvents, type SubscribeOptions, type Subscription } from './subscriber.js';
export { recordEvents, type Recorded, type RecordingSubscriber } from './test-support.js';
