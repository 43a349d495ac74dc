// The load generator, run as its own process so that it never shares a CPU with the server
// under test: `node bench/load-worker.mjs <spec.json>` prints one JSON result line.
//
// spec: { url, connections, durationSec, headers, requests: [{ method, path, body? }] }
// Requests are sent in order, round-robin across all connections; each one is used once per
// cycle (write scenarios pass enough distinct requests that a cycle is never completed).
import fs from 'node:fs';
import autocannon from 'autocannon';

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const requests = spec.requests;
let next = 0;

const instance = autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationSec,
  pipelining: 1,
  headers: spec.headers,
  requests: [
    {
      setupRequest: (request) => {
        const item = requests[next++ % requests.length];
        return { ...request, method: item.method, path: item.path, body: item.body ?? undefined };
      },
    },
  ],
});

// autocannon's own histogram keeps whole milliseconds; we keep every 2xx latency as measured.
let latencies = new Float64Array(1 << 16);
let count = 0;
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  if (statusCode < 200 || statusCode >= 300) return;
  if (count === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[count++] = responseTime;
});

instance.on('done', (result) => {
  const sorted = latencies.subarray(0, count).sort();
  const at = (q) => (count === 0 ? null : sorted[Math.min(count - 1, Math.floor(q * count))]);
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count: n }]) => [code, n]));
  process.stdout.write(
    `${JSON.stringify({
      durationSec: result.duration,
      total: result.requests.total,
      ok: result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      statusCodes,
      rps: result['2xx'] / result.duration,
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: count === 0 ? null : sorted[count - 1],
    })}\n`,
  );
});
