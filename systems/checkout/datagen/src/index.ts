/**
 * Seed 003's synthetic `ecommerce.db`: the interchange schema (REAL prices, converted to centavos
 * with toCentavos when a service loads them), the generator, the writer and the reader.
 */
export * from './schema.js';
export { ean13CheckDigit, isValidEan13 } from './ean.js';
export {
  DEFAULT_SIZES,
  GENERATED_PEDIDO_STATUSES,
  MAX_SIZE,
  PROBABILITIES,
  WINDOW_DAYS,
  ean13,
  generateDataset,
  summarize,
  validateSizes,
  type Sizes,
  type Summary,
} from './generate.js';
export { createFaker, MAX_SEED } from './faker.js';
export { writeDatabase, type WriteResult } from './write.js';
export { readDataset } from './read.js';
export { findViolations } from './invariants.js';
export { DEFAULT_NOW, DEFAULT_OUT, DEFAULT_SEED } from './options.js';
