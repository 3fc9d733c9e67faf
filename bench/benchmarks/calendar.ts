// 10. The daily writer's pages for a writer with 1,100 entries over three years: the calendar of a
// whole year (10a) and /journal with its streak and timeline (10b), each against GET /healthz,
// taking turns, at full speed. Target: each page answers at least a fifth of /healthz's rate.
import { PROXY_HEADERS } from '../config.js';
import { type BenchContext, httpCase, measure, withApp } from '../context.js';
import type { RunStats } from '../report.js';
import { type Comparison, compare } from '../report.js';
import { accessCookie } from '../seed.js';

const ENTRIES = 1100;
const TARGET = 0.2;

/** One entry a day for 1,100 days up to today, a paragraph or a page each, some tagged and starred. */
export async function seedWriter(ctx: BenchContext, writer: string): Promise<void> {
  await ctx.database.use(async (db) => {
    await db.query('DELETE FROM entries WHERE user_id = $1', [writer]);
    await db.query(
      `INSERT INTO entries (user_id, title, body, entry_date, tags, starred, created_at, updated_at)
       SELECT $1, 'Day ' || g, repeat('Walked to the river, then wrote about the garden and the rain. ', 3 + g % 20),
              current_date - g, CASE WHEN g % 7 = 0 THEN ARRAY['garden'] ELSE '{}' END, g % 30 = 0,
              now() - g * interval '1 day', now() - g * interval '1 day'
         FROM generate_series(0, $2::int - 1) g`,
      [writer, ENTRIES],
    );
    // Three years of a real journal have long been vacuumed: without it, every index-only scan of
    // the new rows (the streak, the timeline) reads the table too, as no running server would.
    await db.exec('VACUUM ANALYZE entries');
  });
}

const rate = (run: RunStats) => (run.statuses['200'] ?? 0) / run.seconds;

export async function calendar(ctx: BenchContext): Promise<Comparison[]> {
  const writer = ctx.users.at(-1)!;
  await seedWriter(ctx, writer);
  const headers = { ...PROXY_HEADERS, cookie: accessCookie(ctx.tokens, writer) };
  // Last year: a whole year of written days, whatever the date the bench runs on.
  const year = new Date().getUTCFullYear() - 1;
  const [health, calendarRun, journal] = await withApp(ctx, (server) =>
    measure(ctx, [
      httpCase(ctx, server, 'GET /healthz', { path: '/healthz', headers }),
      httpCase(ctx, server, `GET /journal/calendar?year=${year} (${ENTRIES} entries)`, { path: `/journal/calendar?year=${year}`, headers }),
      httpCase(ctx, server, `GET /journal (${ENTRIES} entries, streak and timeline)`, { path: '/journal', headers }),
    ]),
  );
  const row = (name: string, run: RunStats) => {
    const ok = run.statuses['200'] === run.requests && health.statuses['200'] === health.requests;
    return compare(
      `10${name}`,
      '2xx/s page ÷ /healthz',
      run,
      health,
      rate(run) / rate(health),
      { op: '>=', value: TARGET },
      {
        ok,
        note: ok ? '' : 'some requests did not answer 200',
      },
    );
  };
  return [row('a calendar', calendarRun), row('b journal', journal)];
}
