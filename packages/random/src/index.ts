export { MAX_SEED, osRandom, randomSource, seededRandom, type RandomSourceOptions } from './random.js';
