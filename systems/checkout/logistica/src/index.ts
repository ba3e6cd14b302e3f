export * from './domain/rastreamento.js';
export * from './domain/envio.js';
