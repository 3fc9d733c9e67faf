// The one small database interface the app uses, over node-postgres: a server of your own or the embedded one.
import pg from 'pg';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  /**
   * One statement. `name` makes it a prepared statement on PostgreSQL, planned once per connection:
   * give one to statements on hot paths (the same name must always carry the same SQL).
   */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], name?: string): Promise<QueryResult<T>>;
  /** Runs a script of several statements (migrations); no parameters. */
  exec(sql: string): Promise<void>;
}

/** What a LISTEN connection reports: each notification's payload, and each (re)connection. */
export interface ListenHandlers {
  onNotify(payload: string): void;
  /** After the first connection and after every reconnection: reload what may have been missed. */
  onConnect(): Promise<void>;
  onError(error: unknown): void;
  /** Whenever the connection is lost, with an error or without one; notifications may be missed until onConnect. */
  onDisconnect?(): void;
}

export interface Db extends Queryable {
  /** Where the data lives, without credentials, for the start-up log line. */
  readonly description: string;
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** LISTENs on `channel` on a connection of its own, reconnecting when it drops; returns a stop function. */
  listen(channel: string, handlers: ListenHandlers): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * How long one statement may run before PostgreSQL cancels it (SQLSTATE 57014, answered 503), so
 * one account's slow work cannot hold pooled connections that every other request needs. Request
 * work gets the short one; the jobs that need longer ask for theirs by name (withStatementTimeout).
 */
export const STATEMENT_TIMEOUTS = {
  request: 5_000,
  import: 60_000,
  prune: 5 * 60_000,
  migration: 30 * 60_000,
} as const;

/** Runs `work` in one transaction whose statements may each take up to `ms`. */
export function withStatementTimeout<T>(db: Db, ms: number, work: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    // SET takes no parameters; the number is ours, checked here.
    if (!Number.isInteger(ms) || ms < 0) throw new Error(`not a statement timeout: ${ms}`);
    await tx.query(`SET LOCAL statement_timeout = ${ms}`);
    return work(tx);
  });
}

/** True when PostgreSQL cancelled a statement for running past statement_timeout. */
export function isStatementTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '57014';
}

export interface PostgresOptions {
  url: string;
  /** Puts every connection on this schema (tests get one schema per file). */
  schema?: string;
  max?: number;
  connectionTimeoutMillis?: number;
  /** statement_timeout of every pooled connection; STATEMENT_TIMEOUTS.request unless told. */
  statementTimeoutMs?: number;
}

function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `PostgreSQL at ${decodeURIComponent(parsed.hostname)}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

/**
 * Adds server settings (`-c name=value`) to the URL's own `options` parameter: pg lets a URL's
 * `options` replace a separately given one, so both must travel in the URL.
 */
function withServerSettings(url: string, settings: string[]): string {
  try {
    const parsed = new URL(url);
    const own = parsed.searchParams.get('options');
    parsed.searchParams.set('options', [own, ...settings].filter(Boolean).join(' '));
    return parsed.toString();
  } catch {
    return url;
  }
}

// pg's own default. Measured with the refresh benchmark on 2 cores: 2, 4 and 10 connections gave the
// same throughput within noise, because a refresh is one statement and Node, not the pool, is the
// limit (see README, Performance).
const DEFAULT_POOL_SIZE = 10;

export function openPostgres(options: PostgresOptions): Db {
  const settings = [`-c statement_timeout=${Math.floor(options.statementTimeoutMs ?? STATEMENT_TIMEOUTS.request)}`];
  if (options.schema) settings.push(`-c search_path=${options.schema}`);
  const connection = {
    connectionString: withServerSettings(options.url, settings),
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
  };
  const pool = new pg.Pool({ ...connection, max: options.max ?? DEFAULT_POOL_SIZE });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});

  const asQueryable = (client: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T>(sql: string, params?: unknown[], name?: string) {
      const result = await client.query(name ? { name, text: sql, values: params } : { text: sql, values: params });
      return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  });

  return {
    description: describeUrl(options.url) + (options.schema ? ` (schema ${options.schema})` : ''),
    ...asQueryable(pool),
    async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // A connection lost mid-transaction fails the query in flight, which is reported; the client's
      // 'error' event would otherwise have no listener while it is checked out, and end the process.
      const ignoreLostConnection = () => {};
      client.on('error', ignoreLostConnection);
      let failure: unknown;
      try {
        await client.query('BEGIN');
        const result = await work(asQueryable(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        failure = error;
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.off('error', ignoreLostConnection);
        // A client whose connection failed is dropped from the pool, never handed out again.
        client.release(isDatabaseUnavailable(failure) ? (failure as Error) : undefined);
      }
    },
    listen: (channel, handlers) => listenWithReconnect(() => new pg.Client(connection), channel, handlers),
    close: () => pool.end(),
  };
}

const LISTEN_RETRY_MS = { first: 100, max: 5000 };

/** A dedicated LISTEN client: when it drops, a new one connects (backing off), LISTENs, then reports. */
async function listenWithReconnect(newClient: () => pg.Client, channel: string, handlers: ListenHandlers) {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  let stopped = false;
  let current: pg.Client | undefined;
  let retryMs = LISTEN_RETRY_MS.first;
  let retryTimer: NodeJS.Timeout | undefined;

  const scheduleRetry = () => {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, retryMs);
    retryMs = Math.min(retryMs * 2, LISTEN_RETRY_MS.max);
  };

  async function connect(): Promise<void> {
    const client = newClient();
    let dropped = false;
    const drop = (error?: unknown) => {
      if (dropped) return;
      dropped = true;
      handlers.onDisconnect?.();
      if (error) handlers.onError(error);
      if (current === client) current = undefined;
      client.end().catch(() => {});
      scheduleRetry();
    };
    client.on('error', drop);
    client.on('end', () => drop());
    client.on('notification', (message) => {
      if (message.channel === channel && message.payload) handlers.onNotify(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      if (stopped) return void client.end().catch(() => {});
      current = client;
      retryMs = LISTEN_RETRY_MS.first;
      await handlers.onConnect();
    } catch (error) {
      drop(error);
    }
  }

  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retryTimer);
    await current?.end().catch(() => {});
  };
}

export interface OpenDbOptions {
  databaseUrl: string | undefined;
  /** EMBEDDED_DB_DIR: used when databaseUrl is unset. */
  embeddedDbDir: string;
  /** Lines for the log about the embedded server (created, started, taken over). */
  log?: (message: string) => void;
}

/** A Db that may be the embedded server, whose URL the primary hands its workers. */
export type OpenedDb = Db & { readonly embeddedUrl: string | undefined };

/** The configured database: DATABASE_URL, or the embedded server (started here, stopped by close()). */
export async function openDb(options: OpenDbOptions): Promise<OpenedDb> {
  if (options.databaseUrl) return { ...openPostgres({ url: options.databaseUrl }), embeddedUrl: undefined };
  const { startEmbeddedPostgres } = await import('./embedded.js');
  const server = await startEmbeddedPostgres({ dir: options.embeddedDbDir, log: options.log });
  // An exit nobody planned (an uncaught error) still stops the server this process started.
  const stopNow = () => server.stopNow();
  process.once('exit', stopNow);
  const db = openPostgres({ url: server.url });
  return {
    ...db,
    description: server.description,
    embeddedUrl: server.url,
    async close() {
      await db.close();
      await server.stop();
      process.off('exit', stopNow);
    },
  };
}

// SQLSTATE class 08 is "connection exception"; 57P01–57P03 mean the server is shutting down or starting.
const UNAVAILABLE_SQLSTATES = /^(08|57P0[1-3])/;
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Cannot use a pool after calling end|Client has encountered a connection error/i;

/** True when the database could not be reached, as opposed to a query that failed. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_ERRNOS.has(code) || UNAVAILABLE_SQLSTATES.test(code))) return true;
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message);
}
