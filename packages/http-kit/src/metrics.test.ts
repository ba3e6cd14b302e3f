import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { RequestDurationHistogram } from './metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];

/** The same observations into prom-client's own Histogram and into ours, each in its registry. */
function both(observations: [route: string, method: string, status: number, seconds: number][]) {
  const reference = new Registry();
  const ours = new Registry();
  for (const registry of [reference, ours]) registry.setDefaultLabels({ service: 'svc' });
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: BUCKETS,
    registers: [reference],
  });
  const fast = new RequestDurationHistogram(
    'http_request_duration_seconds',
    'HTTP request duration by route and status',
    BUCKETS,
  );
  ours.registerMetric(fast as unknown as Histogram);
  for (const [route, method, status, seconds] of observations) {
    histogram.observe({ method, route, status_code: status }, seconds);
    fast.observe(route, method, status, seconds);
  }
  return { reference, ours };
}

const OBSERVATIONS: [string, string, number, number][] = [
  ['/things/:id', 'GET', 200, 0.0004],
  ['/things', 'POST', 201, 0.02],
  ['/things/:id', 'GET', 200, 0.001],
  ['unmatched', 'GET', 404, 0.0002],
  ['/things/:id', 'GET', 409, 3],
  ['/a "quoted"\\route', 'DELETE', 500, 0.5],
  ['/things/:id', 'GET', 200, 0.1],
];

test('when requests are observed, then /metrics text is what prom-client’s Histogram writes', async () => {
  const { reference, ours } = both(OBSERVATIONS);
  const text = await ours.metrics();
  assert.equal(text, await reference.metrics());
  assert.match(
    text,
    /^http_request_duration_seconds_count\{service="svc",method="GET",route="\/things\/:id",status_code="200"\} 3$/m,
  );
});

test('when metrics are read as JSON or reset, then they match prom-client’s Histogram too', async () => {
  const { reference, ours } = both(OBSERVATIONS);
  assert.deepEqual(await ours.getMetricsAsJSON(), await reference.getMetricsAsJSON());
  reference.resetMetrics();
  ours.resetMetrics();
  assert.equal(await ours.metrics(), await reference.metrics());
});
