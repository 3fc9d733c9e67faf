// 5. The journal page of a writer with 50 entries (20 cards a page, Markdown excerpts, production
// view cache on) against GET /healthz, both driven by wrk, taking turns. Target ≥ 0.3.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROXY_HEADERS } from '../config.js';
import { type BenchContext, measure, withApp } from '../context.js';
import { type Comparison, compare, skipped } from '../report.js';
import { browserCookies, issueRefreshTokens } from '../seed.js';
import { cookieFeed, wrkCase, wrkMissing } from '../wrk.js';

const BENCH = '5 pages';
const METRIC = '2xx/s /journal ÷ /healthz';
const CONNECTIONS = 16;

export async function pages(ctx: BenchContext): Promise<Comparison[]> {
  const missing = wrkMissing();
  if (missing) return [skipped(BENCH, METRIC, missing)];
  const dir = mkdtempSync(join(tmpdir(), 'smriti-bench-pages-'));
  try {
    const [session] = await ctx.database.use((db) => issueRefreshTokens(db, ctx.tokens, ctx.users.slice(0, 1), 1));
    const writer = cookieFeed(join(dir, 'writer.txt'), [browserCookies(ctx.tokens, session!)], 'cycle');
    return await withApp(ctx, async (server) => {
      // Both carry the writer's two cookies, as a browser sends them; /healthz reads neither.
      const spec = (path: string, feed: typeof writer) => ({
        url: `${server.origin}${path}`,
        headers: { ...PROXY_HEADERS },
        connections: CONNECTIONS,
        feed,
      });
      const [health, journal] = await measure(ctx, [
        wrkCase('GET /healthz', server.pids, spec('/healthz', writer)),
        wrkCase('GET /journal (50 entries, signed in)', server.pids, spec('/journal', writer)),
      ]);
      const ok = (run: typeof journal) => run.statuses['200'] ?? 0;
      const allOk = ok(journal) === journal.requests && ok(health) === health.requests;
      const ratio = ok(journal) / journal.seconds / (ok(health) / health.seconds);
      return [
        compare(
          BENCH,
          METRIC,
          journal,
          health,
          ratio,
          { op: '>=', value: 0.3 },
          {
            ok: allOk,
            note: allOk ? '' : 'some requests did not answer 200',
          },
        ),
      ];
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
