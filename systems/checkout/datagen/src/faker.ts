import { Faker, base, en, pt_BR } from '@faker-js/faker';

/** Seeds accepted by faker's Mersenne Twister: larger values wrap around (2^32 + 5 behaves as 5). */
export const MAX_SEED = 0xffff_ffff;

/**
 * A fresh, seeded faker with the pt_BR locale (falling back to en, then base, like `fakerPT_BR`).
 * A new instance per run rather than the shared `fakerPT_BR`, so two generations never share state.
 */
export function createFaker(seed: number): Faker {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`seed must be an integer from 0 to ${MAX_SEED}, got ${String(seed)}`);
  }
  const faker = new Faker({ locale: [pt_BR, en, base] });
  faker.seed(seed);
  return faker;
}
