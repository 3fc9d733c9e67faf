// One scrape for every worker: the worker that gets GET /metrics asks the primary over IPC, and the
// primary sums every worker's registry with prom-client's AggregatorRegistry.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQUEST = 'smriti:metrics-request';
const REPLY = 'smriti:metrics-reply';
// Longer than AggregatorRegistry's own 5 s wait for the workers, so its error arrives first.
const REPLY_TIMEOUT_MS = 6_000;

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}
interface MetricsReply {
  type: typeof REPLY;
  id: number;
  text?: string;
  error?: string;
}

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

/** In the primary: answers each worker's request with the sum over every live worker. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isMessage<MetricsRequest>(message, REQUEST)) return;
    const answer = (reply: Omit<MetricsReply, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: REPLY, id: message.id, ...reply } satisfies MetricsReply);
    };
    aggregator.clusterMetrics().then(
      (text) => answer({ text }),
      (error: Error) => answer({ error: error.message }),
    );
  });
}

/**
 * In a worker: makes `registry` the one the primary collects. Constructing an AggregatorRegistry in
 * the worker is what installs prom-client's listener that answers the primary.
 */
export function shareWithPrimary(registry: Registry): void {
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

const pending = new Map<number, (reply: MetricsReply) => void>();
let nextId = 0;
let listening = false;

function listenForReplies(): void {
  if (listening) return;
  listening = true;
  process.on('message', (message: unknown) => {
    if (isMessage<MetricsReply>(message, REPLY)) pending.get(message.id)?.(message);
  });
}

/** In a worker: the whole cluster's metrics, as Prometheus text. */
export function clusterMetricsFromPrimary(): Promise<string> {
  listenForReplies();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => settle({ type: REPLY, id, error: 'the primary did not answer in time' }), REPLY_TIMEOUT_MS);
    function settle(reply: MetricsReply) {
      clearTimeout(timer);
      pending.delete(id);
      if (reply.text !== undefined) resolve(reply.text);
      else reject(new Error(`cluster metrics unavailable: ${reply.error ?? 'no answer'}`));
    }
    pending.set(id, settle);
    process.send?.({ type: REQUEST, id } satisfies MetricsRequest);
  });
}
