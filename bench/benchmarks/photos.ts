// 10. Photos (DESIGN §17): uploading and processing a 12-megapixel JPEG (time, and the server's peak
// RSS); the journal page with 20 photo cards (of 50 entries with photos) ÷ without; and another
// user's /journal while one account sends ten 20 MB uploads at once, with the server's peak RSS.
import sharp from 'sharp';
import { clientAddress, SAME_ORIGIN_HEADERS } from '../config.js';
import { type BenchContext, withApp } from '../context.js';
import type { LoadSample } from '../load.js';
import { statsOf } from '../load.js';
import { startMeter } from '../meter.js';
import { type Comparison, compare, printRun, type RunStats } from '../report.js';
import { accessCookie } from '../seed.js';
import type { BenchServer } from '../server-process.js';

const BENCH = '10 photos';
const UPLOADS_AT_ONCE = 10;
const PAGE_LOADS = 40;
const ENTRIES_WITH_PHOTOS = 50;
/** The server's RSS while ten 20 MB uploads arrive at once must stay under this. */
const RSS_LIMIT_MB = 600;

/** A photo-like JPEG: smooth colour with grain, so it compresses as a camera's picture does. */
async function cameraLike(width: number, height: number, quality: number, sigma: number): Promise<Buffer> {
  const grain = await sharp({
    create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma } },
  })
    .raw()
    .toBuffer();
  return sharp(grain, { raw: { width, height, channels: 3 } })
    .tint('#d08040')
    .jpeg({ quality })
    .toBuffer();
}

async function upload(server: BenchServer, cookie: string, bytes: Buffer, n: number): Promise<{ status: number; ms: number }> {
  const form = new FormData();
  form.append('photo', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), 'photo.jpg');
  const started = performance.now();
  const res = await fetch(`${server.origin}/api/photos`, {
    method: 'POST',
    headers: { ...SAME_ORIGIN_HEADERS, cookie, accept: 'application/json', 'x-forwarded-for': clientAddress(n) },
    body: form,
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

/** GET `path` one request at a time, `count` times, timed one by one. */
async function pageLoads(server: BenchServer, cookie: string, path: string, label: string, count = PAGE_LOADS): Promise<RunStats> {
  const sample: LoadSample = { latencies: [], statuses: {}, seconds: 0 };
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const at = performance.now();
    const res = await fetch(`${server.origin}${path}`, { headers: { cookie } });
    await res.arrayBuffer();
    sample.latencies.push(performance.now() - at);
    sample.statuses[res.status] = (sample.statuses[res.status] ?? 0) + 1;
  }
  sample.seconds = (performance.now() - started) / 1000;
  const run = { label, ...statsOf([sample]) };
  printRun(run);
  return run;
}

function runOf(label: string, results: { status: number; ms: number }[], seconds: number, peakRssMb?: number): RunStats {
  const statuses: Record<string, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const run = { label, ...statsOf([{ latencies: results.map((r) => r.ms), statuses, seconds }]), peakRssMb };
  printRun(run);
  return run;
}

async function twelveMegapixels(ctx: BenchContext, server: BenchServer, cookie: string): Promise<Comparison> {
  const photo = await cameraLike(4000, 3000, 90, 12);
  console.log(`  a 4000 × 3000 JPEG of ${(photo.length / 1024 ** 2).toFixed(1)} MB`);
  const small = await cameraLike(400, 300, 90, 12);
  const baseline = runOf('POST /api/photos, a 400 × 300 JPEG, one at a time', await sequential(server, cookie, small, 5), 1);
  const stop = startMeter(server.pids, ctx.database.name);
  const started = performance.now();
  const results = await sequential(server, cookie, photo, 5);
  const usage = stop();
  const run = runOf('POST /api/photos, a 12-megapixel JPEG, one at a time', results, (performance.now() - started) / 1000, usage.peakRssMb);
  const ok = results.every((r) => r.status === 201);
  return compare(BENCH, '12 MP upload p50 ÷ 0.12 MP upload p50', run, baseline, run.p50 / baseline.p50, undefined, {
    ok,
    note: `p50 ${run.p50.toFixed(0)} ms, server peak RSS ${usage.peakRssMb} MB${ok ? '' : '; not every upload answered 201'}`,
  });
}

async function sequential(server: BenchServer, cookie: string, bytes: Buffer, count: number) {
  const results: { status: number; ms: number }[] = [];
  for (let i = 0; i < count; i++) results.push(await upload(server, cookie, bytes, 1));
  return results;
}

export async function photos(ctx: BenchContext): Promise<Comparison[]> {
  return withApp(ctx, async (server) => {
    // People far from the other benchmarks' users: the uploader, the page reader, the card writer.
    const fromEnd = (i: number) => ctx.users[ctx.users.length - i]!;
    const [uploader, reader, cards] = [fromEnd(4), fromEnd(5), fromEnd(6)];
    const cookie = (userId: string) => accessCookie(ctx.tokens, userId);
    const comparisons = [await twelveMegapixels(ctx, server, cookie(uploader))];

    // The journal page: 20 cards with a thumbnail each ÷ 20 cards without (users[0] has 50 plain entries).
    await addEntriesWithPhoto(server, cookie(cards));
    const plain = await pageLoads(server, cookie(ctx.users[0]!), '/journal', 'GET /journal, 50 entries without photos');
    const withPhotos = await pageLoads(server, cookie(cards), '/journal', 'GET /journal, 50 entries each with a photo');
    comparisons.push(
      compare(BENCH, '/journal with 20 thumbnails ÷ without (p50)', withPhotos, plain, withPhotos.p50 / plain.p50, {
        op: '<=',
        value: 1.5,
      }),
    );

    // Ten 20 MB uploads at once by one account, while another user reads /journal.
    const big = await twentyMegabytes();
    console.log(`  each upload: a ${(big.length / 1024 ** 2).toFixed(1)} MB JPEG`);
    const quiet = await pageLoads(server, cookie(reader), '/journal', 'GET /journal by another user, quiet');
    const stop = startMeter(server.pids, ctx.database.name);
    const flood = Promise.all(Array.from({ length: UPLOADS_AT_ONCE }, () => upload(server, cookie(uploader), big, 3)));
    const busy = await pageLoads(
      server,
      cookie(reader),
      '/journal',
      `the same while one account sends ${UPLOADS_AT_ONCE} × 20 MB at once`,
      20,
    );
    const answers = await flood;
    const usage = stop();
    const statuses: Record<string, number> = {};
    for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    console.log(`  the uploads' answers: ${JSON.stringify(statuses)}; server peak RSS ${usage.peakRssMb} MB (limit ${RSS_LIMIT_MB} MB)`);
    const underLimit = usage.peakRssMb <= RSS_LIMIT_MB;
    comparisons.push(
      compare(
        BENCH,
        `another user's /journal p50 during ${UPLOADS_AT_ONCE} × 20 MB uploads ÷ quiet`,
        { ...busy, peakRssMb: usage.peakRssMb },
        quiet,
        busy.p50 / quiet.p50,
        { op: '<=', value: 3 },
        {
          ok: underLimit && busy.statuses['200'] === busy.requests,
          note: `server peak RSS ${usage.peakRssMb} MB ${underLimit ? '≤' : '>'} ${RSS_LIMIT_MB} MB; uploads answered ${JSON.stringify(statuses)}`,
        },
      ),
    );
    return comparisons;
  });
}

/** Just under PHOTO_MAX_BYTES (20 MiB): a large, grainy, high-quality JPEG. */
async function twentyMegabytes(): Promise<Buffer> {
  let photo = await cameraLike(6000, 4000, 97, 40);
  for (let sigma = 40; photo.length > 20 * 1024 ** 2 - 64 * 1024 && sigma > 5; sigma -= 5) photo = await cameraLike(6000, 4000, 97, sigma);
  return photo;
}

/** 50 entries, each naming the writer's one photo, written through the API as the editor would. */
async function addEntriesWithPhoto(server: BenchServer, cookie: string): Promise<void> {
  const headers = { ...SAME_ORIGIN_HEADERS, cookie, accept: 'application/json', 'content-type': 'application/json' };
  const form = new FormData();
  form.append('photo', new Blob([new Uint8Array(await cameraLike(800, 600, 85, 12))], { type: 'image/jpeg' }), 'card.jpg');
  const res = await fetch(`${server.origin}/api/photos`, {
    method: 'POST',
    headers: { ...SAME_ORIGIN_HEADERS, cookie, accept: 'application/json' },
    body: form,
  });
  const { url } = (await res.json()) as { url: string };
  for (let i = 0; i < ENTRIES_WITH_PHOTOS; i++) {
    const body = JSON.stringify({ title: `Walk ${i}`, body: `A walk by the river, day ${i}.\n\n![The river](${url})` });
    const saved = await fetch(`${server.origin}/api/entries`, { method: 'POST', headers, body });
    await saved.arrayBuffer();
  }
}
