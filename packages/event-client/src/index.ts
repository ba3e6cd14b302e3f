export {
  ALL_EVENT_TYPES,
  BOOKING_EVENT_TYPES,
  EVENT_STATUS,
  RESET_EVENT,
  WAITLIST_EVENT_TYPES,
  isBookingEventType,
  isSctecEventType,
  isWaitlistEventType,
  type BookingEventData,
  type BookingEventPayload,
  type BookingEventType,
  type SctecEvent,
  type SctecEventData,
  type SctecEventDataMap,
  type SctecEventPayload,
  type SctecEventType,
  type WaitlistEventData,
  type WaitlistEventPayload,
  type WaitlistEventType,
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
