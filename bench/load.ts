// HTTP load through autocannon, with every response time kept so percentiles are exact to the microsecond.
import autocannon from 'autocannon';

export interface LoadSpec {
  /** http://127.0.0.1:<port>/path — the benchmarks only ever target the loopback address. */
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  /** Requests per second over all connections; unset means as fast as the server answers. */
  rate?: number;
  /** Rewrites each request before it is sent, for a distinct cookie or body every time. */
  setupRequest?: (request: autocannon.RequestParams) => autocannon.RequestParams;
}

export interface LoadStats {
  requests: number;
  seconds: number;
  rps: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  /** Responses by HTTP status; "error" counts connection errors and timeouts. */
  statuses: Record<string, number>;
}

export interface RunningLoad {
  done: Promise<LoadStats>;
  stop(): void;
}

/** The q-quantile (0..1) of an ascending list, nearest-rank. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function statsOf(latencies: number[], statuses: Record<string, number>, seconds: number): LoadStats {
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    statuses,
  };
}

function optionsFor(spec: LoadSpec, seconds: number): autocannon.Options {
  const request: autocannon.Request = spec.setupRequest ? { setupRequest: spec.setupRequest } : {};
  return {
    url: spec.url,
    method: spec.method ?? 'GET',
    headers: spec.headers ?? {},
    body: spec.body,
    connections: spec.connections,
    duration: seconds,
    overallRate: spec.rate,
    timeout: 30,
    requests: [request],
  };
}

export function startLoad(spec: LoadSpec, seconds: number): RunningLoad {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let instance: autocannon.Instance | undefined;
  const started = performance.now();
  const done = new Promise<LoadStats>((resolve, reject) => {
    instance = autocannon(optionsFor(spec, seconds), (error, result) => {
      if (error) return reject(error);
      if (result.errors > 0) statuses.error = result.errors;
      resolve(statsOf(latencies, statuses, (performance.now() - started) / 1000));
    });
    instance.on('response', (_client, status, _bytes, ms) => {
      latencies.push(ms);
      statuses[status] = (statuses[status] ?? 0) + 1;
    });
  });
  return { done, stop: () => instance?.stop() };
}

/** A warm-up (results dropped), then the measured run. */
export async function measureLoad(spec: LoadSpec, seconds: number, warmupSeconds: number): Promise<LoadStats> {
  await startLoad(spec, warmupSeconds).done;
  return startLoad(spec, seconds).done;
}

export function count5xx(stats: LoadStats): number {
  return Object.entries(stats.statuses).reduce((n, [status, c]) => n + (status.startsWith('5') ? c : 0), 0);
}
