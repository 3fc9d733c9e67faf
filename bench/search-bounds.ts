// `npx tsx bench/search-bounds.ts`: EXPLAIN ANALYZE of the search before and after its bounds, on one
// journal of SEARCH_BOUNDS_ENTRIES entries (5,000,000 unless told) in a throwaway schema of DATABASE_URL.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgres } from '../src/db/db.js';
import { migrate } from '../src/db/migrate.js';
import { SEARCH_MAX_CANDIDATES, SEARCH_SQL, toTsquery } from '../src/journal/search.js';
import { seedEntries } from './search-seed.js';

// The search as it was before issue 24: every match ranked, `a` a prefix of most words.
const UNBOUNDED_SQL = `SELECT id, count(*) OVER () AS total, ts_rank(search_vector, to_tsquery('smriti_search', $2)) AS rank
  FROM entries WHERE user_id = $1 AND search_vector @@ to_tsquery('smriti_search', $2)
  ORDER BY rank DESC, created_at DESC, id DESC LIMIT 20`;
const QUERIES = [['a'], ['ri'], ['river', 'picnic'], ['lantern']];

const url = process.env.DATABASE_URL;
if (!url) throw new Error('set DATABASE_URL to a PostgreSQL server the script may create a schema on');
const total = Number(process.env.SEARCH_BOUNDS_ENTRIES ?? 5_000_000);
const schema = `search_bounds_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`CREATE SCHEMA ${schema}`);
const db = openPostgres({ url, schema, statementTimeoutMs: 0, max: 2 });
try {
  await migrate(db);
  const writer = (await db.query<{ id: string }>(`INSERT INTO users (email, password_hash) VALUES ('w@example.com', 'x') RETURNING id`))
    .rows[0]!.id;
  const started = Date.now();
  await seedEntries(db, writer, [writer], { total, mine: total }, (done) => process.stdout.write(`\r${done} entries`));
  console.log(`\nloaded ${total} entries in ${Math.round((Date.now() - started) / 1000)} s`);
  const explain = async (label: string, sql: string, params: unknown[]) => {
    const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
    const plan = rows.map((r) => r['QUERY PLAN']);
    console.log(`${label.padEnd(44)} ${plan.find((line) => line.startsWith('Execution Time'))}`);
    if (process.env.SEARCH_BOUNDS_PLANS) console.log(plan.join('\n'));
  };
  for (const words of QUERIES) {
    const unbounded = words.map((w) => `'${w}':*`).join(' & ');
    await explain(`before: ${unbounded}`, UNBOUNDED_SQL, [writer, unbounded]);
    const bounded = toTsquery(words);
    await explain(`after:  ${bounded}`, SEARCH_SQL, [writer, bounded, 20, 0, 'HighlightAll=true', 'MaxWords=30', SEARCH_MAX_CANDIDATES]);
  }
} finally {
  await db.close();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}
