import { existsSync } from 'node:fs';
import { readDataset, toCentavos, type Dataset } from '@dslab/checkout-datagen';

/**
 * Reads the seed's ecommerce.db for a service's first-start import, or fails with a message that
 * says how to create it.
 */
export function readSeedData(file: string): Dataset {
  if (!existsSync(file))
    throw new Error(
      `${file} does not exist: run "npm run datagen" (or set ECOMMERCE_DB, or SEED_IMPORT=false)`,
    );
  return readDataset(file);
}

/** REAL reais of the seed's file → integer centavos (the one conversion every importer uses). */
export function reaisFromSeed(reais: number): number {
  return toCentavos(reais);
}
