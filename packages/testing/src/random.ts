/**
 * The seeded PRNG of the property tests (mulberry32, uniform in [0, 1)), so that a failure
 * reproduces from its seed: the platform's one generator, re-exported for the tests.
 */
export { seededRandom } from '@dslab/random';
