export * from './domain/reserva.js';
export * from './domain/request.js';
