export * from './domain/produtos.js';
export * from './domain/query.js';
