// 8. A two-word search by one writer with 100,000 and then 10,000 entries, among 1,000,000; its plan.
import type { Db } from '../../src/db/db.js';
import { PAGE_SIZE } from '../../src/journal/entries.js';
import { SEARCH_MAX_CANDIDATES, SEARCH_SQL, toTsquery } from '../../src/journal/search.js';
import { PROXY_HEADERS } from '../config.js';
import { type BenchContext, httpCase, measure, withApp } from '../context.js';
import { type Comparison, compare, type RunStats } from '../report.js';
import { countEntries, SEARCH_WORDS, seedEntries, shrinkJournal } from '../search-seed.js';
import { accessCookie } from '../seed.js';

const TOTAL = 1_000_000;
const LARGE = 100_000;
const SMALL = 10_000;
const P50_TARGET_MS = 20;
// p50 is the service time, not a queue: a steady rate the server answers well within.
const RATE = 25;
const CONNECTIONS = 2;

const QUERY = toTsquery(SEARCH_WORDS);

async function explain(db: Db, writer: string): Promise<string> {
  const params = [writer, QUERY, PAGE_SIZE, 0, '', '', SEARCH_MAX_CANDIDATES];
  const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${SEARCH_SQL}`, params)).rows.map((r) => r['QUERY PLAN']);
  const lines = plan.filter((line) => /Index|Seq Scan/.test(line)).map((line) => line.trim());
  // The candidates come through the search index, or newest first through the user's own index
  // when the words are common (SEARCH_MAX_CANDIDATES stops it early): never a scan of the table.
  const indexed =
    lines.some((line) => /entries_search_idx|entries_user_created_idx/.test(line)) && !lines.some((line) => line.includes('Seq Scan'));
  console.log(`    EXPLAIN: ${indexed ? 'index used' : 'NO SEARCH INDEX'}\n      ${lines.join('\n      ')}`);
  return indexed ? '' : 'the search does not use entries_search_idx';
}

async function describeState(db: Db, writer: string): Promise<string> {
  const matches = (
    await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM entries WHERE user_id = $1 AND search_vector @@ to_tsquery('smriti_search', $2)`,
      [writer, QUERY],
    )
  ).rows[0]!.n;
  const [total, mine] = [await countEntries(db), await countEntries(db, writer)];
  console.log(
    `  entries: ${total.toLocaleString('en-US')}, the writer's: ${mine.toLocaleString('en-US')}, matching "${SEARCH_WORDS.join(' ')}": ${matches}`,
  );
  return explain(db, writer);
}

async function measureSearch(ctx: BenchContext, writer: string, label: string): Promise<{ run: RunStats; problem: string }> {
  const problem = await ctx.database.use((db) => describeState(db, writer));
  const headers = { ...PROXY_HEADERS, cookie: accessCookie(ctx.tokens, writer) };
  const path = `/journal?q=${encodeURIComponent(SEARCH_WORDS.join(' '))}`;
  const [run] = await withApp(ctx, (server) =>
    measure(ctx, [
      httpCase(ctx, server, `GET ${decodeURIComponent(path)}, ${label}`, { path, headers, rate: RATE, connections: CONNECTIONS }),
    ]),
  );
  return { run, problem };
}

async function wordFrequencies(db: Db): Promise<void> {
  for (const word of SEARCH_WORDS) {
    const n = (
      await db.query<{ n: string }>(`SELECT count(*) AS n FROM entries WHERE search_vector @@ to_tsquery('smriti_search', $1)`, [
        toTsquery([word]),
      ])
    ).rows[0]!.n;
    console.log(`  "${word}" is in ${Number(n).toLocaleString('en-US')} entries`);
  }
}

export async function search(ctx: BenchContext): Promise<Comparison[]> {
  const [writer, others] = [ctx.users[1]!, ctx.users.slice(2)];
  const started = performance.now();
  await ctx.database.use(async (db) => {
    await seedEntries(db, writer, others, { total: TOTAL, mine: LARGE }, (done) =>
      process.stdout.write(`\r  loading entries: ${done.toLocaleString('en-US')}`),
    );
    console.log(` (${((performance.now() - started) / 1000).toFixed(0)} s with the index build)`);
    await wordFrequencies(db);
  });
  const large = await measureSearch(ctx, writer, `${LARGE.toLocaleString('en-US')} entries`);
  await ctx.database.use((db) => shrinkJournal(db, writer, others, SMALL));
  const small = await measureSearch(ctx, writer, `${SMALL.toLocaleString('en-US')} entries`);

  const allOk = [large.run, small.run].every((run) => run.statuses['200'] === run.requests);
  const fastEnough = large.run.p50 < P50_TARGET_MS;
  const problems = [large.problem, small.problem, allOk ? '' : 'some searches did not answer 200'].filter(Boolean);
  const p50Note = `p50 at 100k ${large.run.p50.toFixed(2)} ms (target < ${P50_TARGET_MS} ms: ${fastEnough ? 'met' : 'MISSED'})`;
  return [
    compare(
      '8 search',
      'p50 at 100k entries ÷ at 10k',
      large.run,
      small.run,
      large.run.p50 / small.run.p50,
      { op: '<=', value: 1.5 },
      {
        ok: problems.length === 0 && fastEnough,
        note: [p50Note, ...problems].join('; '),
      },
    ),
  ];
}
