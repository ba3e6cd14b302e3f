export * from './domain/mod11.js';
export * from './domain/cnpj.js';
export * from './domain/chave-acesso.js';
export * from './domain/numero.js';
