/**
 * `npm run bench:kv`: the KV API against two baselines measured in the same run on this machine,
 * redis-benchmark's raw GET and a hello-world Fastify server. Measures GET (cache hit) through
 * the API, the PUT acceptance rate and the consumer's apply rate; writes docs/benchmarks/kv.json,
 * kv.md and a chart. Options: `--help`.
 */
import { benchMain } from '@dslab/bench-kit';
import { KV_BENCH } from './run.js';

await benchMain(KV_BENCH);
