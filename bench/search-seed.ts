// A million journal entries of varied words for the search benchmark, written set-based in SQL.
import type { Db } from '../src/db/db.js';

// Word frequencies follow Zipf's law, as in real writing: the word of rank r turns up about as often
// as 1/r. The first ranks are real words (common ones first, then things people write about, some
// with accents and in other scripts); past them come made-up words of two or three syllables.
const REAL_WORDS = `
  the and i to a of was in it we my that is for on with he she but at had so they her me be this not
  you all there were as his out up then about when just one what them went have day from our got
  like by back more after time some down home no very did would could now today over into again
  little night because before good first still only around long really morning felt off well too
  last next much get made through while even how who think been way know came said
  walk coffee tea rain sun snow wind garden kitchen window door train bus city street market book
  letter phone work office meeting lunch dinner breakfast bread soup rice apple orange lemon friend
  mother father sister brother daughter son grandmother child baby dog cat bird tree flower park
  forest beach sea lake mountain hill valley road bridge church school class teacher doctor hospital
  birthday holiday weekend summer winter autumn spring evening afternoon midnight dream sleep tired
  happy sad angry quiet loud warm cold hot dry wet green blue yellow white black red old new young
  small big café naïve crème déjà vu jalapeño zürich são paulo köln señor résumé fiancée piñata
  smörgåsbord brûlée façade garçon नदी यात्रा θάλασσα music song guitar piano film movie story poem
  paint photo camera trip journey plane airport hotel room bed chair table floor wall roof stairs
  garage car bicycle boat ship island river harbour village town country border map ticket money
  price shop bakery cheese butter milk sugar salt pepper garlic onion potato tomato carrot bean cake
  cookie chocolate wine beer juice water ice fire smoke cloud storm thunder lightning rainbow moon
  star sky light shadow colour sound voice silence laughter tears smile hug kiss picnic letterbox
  lantern meadow orchard`
  .trim()
  .split(/\s+/);
const SYLLABLES = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'ch', 'sh', 'br', 'tr'].flatMap((onset) =>
  ['a', 'e', 'i', 'o', 'u', 'é', 'ou'].map((vowel) => onset + vowel),
);
const VOCABULARY = 50_000;

/** The benchmark's two-word search: each word in about 2% of entries, both together in about 0.04%. */
export const SEARCH_WORDS = ['river', 'picnic'] as const;

// $1 real words, $2 syllables, $3 vocabulary size. A random rank from a log-uniform draw is Zipfian.
const WORD_SQL = `(SELECT CASE WHEN r <= cardinality($1::text[]) THEN ($1::text[])[r]
    ELSE s[1 + r % n] || s[1 + (r / n) % n] || CASE WHEN r >= n * n THEN s[1 + (r / (n * n)) % n] ELSE '' END END
  FROM (SELECT floor(exp(random() * ln($3::int)))::int + 0 * i AS r, $2::text[] AS s, cardinality($2::text[]) AS n) w)`;
const WORDS_SQL = (count: string) => `(SELECT string_agg(${WORD_SQL}, ' ') FROM generate_series(1, ${count}) i)`;

// Rows $4..$5 of $6; the writer gets $8 of them spread evenly through the table, the others the rest.
const INSERT_SQL = `
  INSERT INTO entries (user_id, title, body, created_at, updated_at)
  SELECT CASE WHEN (g::bigint * $8) / $6 > ((g - 1)::bigint * $8) / $6 THEN $7::uuid
              ELSE ($9::uuid[])[1 + g % cardinality($9::uuid[])] END,
         ${WORDS_SQL('2 + g % 4')}, ${WORDS_SQL('30 + g % 51')},
         now() - g * interval '7 minutes', now() - g * interval '7 minutes'
    FROM generate_series($4::int, $5::int) g`;

const SLICE = 100_000;

/**
 * Fills entries to `total` rows, `mine` of them the writer's. The GIN index is dropped and rebuilt
 * from its own definition around the load, as a bulk load would; the result is the same index.
 */
export async function seedEntries(
  db: Db,
  writer: string,
  others: readonly string[],
  rows: { total: number; mine: number },
  progress: (done: number) => void,
): Promise<void> {
  const existing = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM entries')).rows[0]!.n);
  const count = rows.total - existing;
  const index = await db.query<{ indexdef: string }>(
    `SELECT indexdef FROM pg_indexes WHERE indexname = 'entries_search_idx' AND schemaname = current_schema()`,
  );
  await db.exec('DROP INDEX entries_search_idx');
  for (let from = 1; from <= count; from += SLICE) {
    const to = Math.min(count, from + SLICE - 1);
    await db.query(INSERT_SQL, [REAL_WORDS, SYLLABLES, VOCABULARY, from, to, count, writer, rows.mine, others]);
    progress(existing + to);
  }
  await db.transaction(async (tx) => {
    await tx.exec(`SET LOCAL maintenance_work_mem = '256MB'`);
    await tx.exec(index.rows[0]!.indexdef);
  });
  await db.exec('VACUUM ANALYZE entries');
}

/** Gives all but `keep` of the writer's entries (a random choice, so the rest stay spread out) to others. */
export async function shrinkJournal(db: Db, writer: string, others: readonly string[], keep: number): Promise<void> {
  await db.query(
    `UPDATE entries SET user_id = ($2::uuid[])[1 + floor(random() * cardinality($2::uuid[]))::int]
      WHERE user_id = $1 AND id IN (SELECT id FROM entries WHERE user_id = $1 ORDER BY id OFFSET $3)`,
    [writer, others, keep],
  );
  await db.exec('VACUUM ANALYZE entries');
}

export async function countEntries(db: Db, userId?: string): Promise<number> {
  const result = userId
    ? await db.query<{ n: string }>('SELECT count(*) AS n FROM entries WHERE user_id = $1', [userId])
    : await db.query<{ n: string }>('SELECT count(*) AS n FROM entries');
  return Number(result.rows[0]!.n);
}
