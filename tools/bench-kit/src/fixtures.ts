/** Made-up results for the tests of reports built on the kit (fixed values, no measuring). */
import type { LoadResult } from './load.js';
import type { MachineInfo } from './output.js';
import type { LatencySummary } from './stats.js';

export function syntheticMachineInfo(): MachineInfo {
  return {
    node: 'v20',
    cpuModel: 'cpu',
    cores: 2,
    totalMemoryGiB: 8,
    platform: 'linux x64',
    loadAverageAtStart: [0, 0, 0],
    date: '2027-01-01T00:00:00.000Z',
  };
}

/** A run with no failures: rps × durationS requests, all answered 200. */
export function syntheticLoadResult(options: {
  concurrency: number;
  rps: number;
  durationS: number;
  latency: Omit<LatencySummary, 'count'>;
}): LoadResult {
  const ok = options.rps * options.durationS;
  return {
    concurrency: options.concurrency,
    durationS: options.durationS,
    ok,
    non2xx: 0,
    errors: 0,
    rps: options.rps,
    statusCodes: { '200': ok },
    latency: { count: ok, ...options.latency },
  };
}
