/**
 * `npm run bench:checkout-async`: does the asynchronous checkout's throughput grow with worker
 * processes? N = 1, 2, 4 workers (worker-main.ts) on real RabbitMQ and PostgreSQL, K orders
 * POSTed at once, acceptance and completion rates, end-to-end percentiles, CPU and memory, and
 * the speed-up against N=1; baselines in the same run (hello-world HTTP, the raw RabbitMQ round
 * trip). Writes docs/benchmarks/checkout-async.json, .md and the charts. Options: `--help`.
 */
import { benchMain } from '@dslab/bench-kit';
import { CHECKOUT_ASYNC_BENCH } from './run.js';

await benchMain(CHECKOUT_ASYNC_BENCH);
