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

/** What one stretch of load saw: every response time (ms) and status, and how long it took. */
export interface LoadSample {
  latencies: number[];
  /** Requests answered, when not one per latency (wrk adds latencies for coordinated omission). */
  answered?: number;
  /** Responses by HTTP status; "error" counts connection errors and timeouts. */
  statuses: Record<string, number>;
  seconds: number;
}

export interface LoadStats {
  /** Answered requests. */
  requests: number;
  seconds: number;
  rps: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  statuses: Record<string, number>;
}

export interface RunningLoad {
  done: Promise<LoadSample>;
  stop(): void;
}

/** The q-quantile (0..1) of an ascending list, nearest-rank. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Stretches of the same case (interleaved with others) summed into one run. */
export function statsOf(samples: LoadSample[]): LoadStats {
  const sorted = Float64Array.from(samples.flatMap((s) => s.latencies)).sort();
  const seconds = samples.reduce((total, s) => total + s.seconds, 0);
  const statuses: Record<string, number> = {};
  for (const [status, n] of samples.flatMap((s) => Object.entries(s.statuses))) statuses[status] = (statuses[status] ?? 0) + n;
  const answered = samples.reduce((total, s) => total + (s.answered ?? s.latencies.filter(Number.isFinite).length), 0);
  return { requests: answered, seconds, rps: answered / seconds, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), statuses };
}

function optionsFor(spec: LoadSpec, seconds: number, amount: number | undefined): autocannon.Options {
  // A load generator aimed elsewhere would be an attack, not a benchmark.
  if (new URL(spec.url).hostname !== '127.0.0.1') throw new Error(`refusing to load ${spec.url}: benchmarks target 127.0.0.1 only`);
  const request: autocannon.Request = spec.setupRequest ? { setupRequest: spec.setupRequest } : {};
  return {
    url: spec.url,
    method: spec.method ?? 'GET',
    headers: spec.headers ?? {},
    body: spec.body,
    connections: spec.connections,
    ...(amount ? { amount } : { duration: seconds }),
    overallRate: spec.rate,
    timeout: 30,
    requests: [request],
  };
}

/**
 * Runs `spec` for `seconds`. At a fixed rate it sends exactly rate × seconds requests and waits for
 * their answers (up to half as long again), so a stalled request counts as slow instead of vanishing
 * when the run ends; one never answered counts as infinitely slow.
 */
export function startLoad(spec: LoadSpec, seconds: number): RunningLoad {
  const amount = spec.rate ? Math.max(spec.connections, Math.round(spec.rate * seconds)) : undefined;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let instance: autocannon.Instance | undefined;
  const started = performance.now();
  const deadline = amount ? setTimeout(() => instance?.stop(), (seconds * 1.5 + 2) * 1000) : undefined;
  const done = new Promise<LoadSample>((resolve, reject) => {
    instance = autocannon(optionsFor(spec, seconds, amount), (error, result) => {
      clearTimeout(deadline);
      if (error) return reject(error);
      if (result.errors > 0) statuses.error = result.errors;
      const unanswered = amount ? amount - latencies.length - result.errors : 0;
      if (unanswered > 0) statuses.unanswered = unanswered;
      for (let i = 0; i < unanswered; i++) latencies.push(Number.POSITIVE_INFINITY);
      resolve({ latencies, statuses, seconds: (performance.now() - started) / 1000 });
    });
    instance.on('response', (_client, status, _bytes, ms) => {
      latencies.push(ms);
      statuses[status] = (statuses[status] ?? 0) + 1;
    });
  });
  return { done, stop: () => instance?.stop() };
}

export function count5xx(stats: LoadStats): number {
  return Object.entries(stats.statuses).reduce((n, [status, c]) => n + (status.startsWith('5') ? c : 0), 0);
}
