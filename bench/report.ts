// What the benchmarks print: a line per run, a ratio per comparison, the summary table, the JSON file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadStats } from './load.js';
import type { Usage } from './meter.js';

export interface RunStats extends LoadStats, Partial<Usage> {
  label: string;
}

export interface Target {
  op: '>=' | '<=';
  value: number;
}

export interface Comparison {
  bench: string;
  /** What the ratio divides, in words. */
  metric: string;
  measured?: RunStats;
  baseline?: RunStats;
  ratio?: number;
  target?: Target;
  /** Undefined when there is no target. */
  met?: boolean;
  notes: string[];
}

export const RESULTS_DIR = join(import.meta.dirname, 'results');

const ms = (value: number) => (Number.isNaN(value) ? '-' : value === Number.POSITIVE_INFINITY ? '∞' : value.toFixed(2));
const ratioText = (value: number) => (value === Number.POSITIVE_INFINITY ? '∞' : value.toFixed(3));
const rps = (value: number) => Math.round(value).toLocaleString('en-US');
const mb = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(0));

export function statusText(statuses: Record<string, number>): string {
  return Object.entries(statuses)
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
}

function cpuText(run: RunStats): string {
  if (run.cpuPercent === undefined) return '';
  const perRequest = run.rps > 0 ? Math.round((run.cpuPercent * 10_000) / run.rps) : '-'; // % of a core → µs of CPU per request
  const db = run.postgresCpuPercent ? ` postgres ${run.postgresCpuPercent}%` : '';
  const load = run.loadCpuPercent ? ` load generator ${run.loadCpuPercent}%` : '';
  return `  CPU ${run.peakRssMb === undefined ? 'loops' : 'server'} ${run.cpuPercent}% (${perRequest} µs/req)${db}${load} other ${run.otherCpuPercent ?? 0}%`;
}

export function printRun(run: RunStats): void {
  console.log(
    `  ${run.label.padEnd(46)} ${rps(run.rps).padStart(7)} req/s  p50 ${ms(run.p50).padStart(7)} ms  p99 ${ms(run.p99).padStart(7)} ms` +
      `  peak RSS ${mb(run.peakRssMb).padStart(4)} MB${cpuText(run)}  [${statusText(run.statuses)}]`,
  );
}

function targetText(target: Target | undefined): string {
  return target ? `${target.op === '>=' ? '≥' : '≤'} ${target.value}` : 'none';
}

function verdict(comparison: Comparison): string {
  if (comparison.ratio === undefined) return 'skipped';
  if (comparison.met === undefined) return 'reported';
  return comparison.met ? 'MET' : 'MISSED';
}

// CPU (share of one core) that neither our processes nor PostgreSQL used; above this, someone else was busy.
const DISTURBED_CPU_PERCENT = 25;

// The load generator runs on one core of the same machine; this busy, it may be the limit rather than the server.
const SATURATED_LOAD_PERCENT = 90;

function caveats(...runs: RunStats[]): string[] {
  const other = Math.max(...runs.map((run) => run.otherCpuPercent ?? 0));
  const load = Math.max(...runs.map((run) => run.loadCpuPercent ?? 0));
  return [
    other > DISTURBED_CPU_PERCENT ? `other processes used up to ${other}% of a core meanwhile: not a fair measurement` : '',
    load > SATURATED_LOAD_PERCENT ? `the load generator used ${load}% of a core: it may cap both sides; compare µs/req too` : '',
  ];
}

/** Builds and prints a comparison; `extra` may fail it on another condition (say, any 5xx). */
export function compare(
  bench: string,
  metric: string,
  measured: RunStats,
  baseline: RunStats,
  ratio: number,
  target?: Target,
  extra: { ok: boolean; note: string } = { ok: true, note: '' },
): Comparison {
  const withinTarget = target ? (target.op === '>=' ? ratio >= target.value : ratio <= target.value) : undefined;
  const met = withinTarget === undefined ? undefined : withinTarget && extra.ok;
  const notes = [extra.note, ...caveats(measured, baseline)].filter(Boolean);
  const comparison: Comparison = { bench, metric, measured, baseline, ratio, target, met, notes };
  const said = notes.map((note) => ` — ${note}`).join('');
  console.log(`  → ratio ${ratioText(ratio)} (${metric}; target ${targetText(target)}): ${verdict(comparison)}${said}`);
  return comparison;
}

export function skipped(bench: string, metric: string, reason: string): Comparison {
  console.log(`  skipped: ${reason}`);
  return { bench, metric, notes: [reason] };
}

function cells(run: RunStats | undefined): string[] {
  return run ? [run.label, rps(run.rps), ms(run.p50), ms(run.p99), mb(run.peakRssMb)] : ['-', '-', '-', '-', '-'];
}

export function printSummary(comparisons: Comparison[]): void {
  const header = [
    'benchmark',
    'measured',
    'req/s',
    'p50 ms',
    'p99 ms',
    'RSS MB',
    'baseline',
    'req/s',
    'p50 ms',
    'p99 ms',
    'RSS MB',
    'ratio',
    'of',
    'target',
    'result',
  ];
  const rows = comparisons.map((c) => [
    c.bench,
    ...cells(c.measured),
    ...cells(c.baseline),
    c.ratio === undefined ? '-' : ratioText(c.ratio),
    c.metric,
    targetText(c.target),
    verdict(c),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = new Set([2, 3, 4, 5, 7, 8, 9, 10, 11]);
  const pad = (cell: string, i: number) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!));
  const line = (r: string[]) => r.map(pad).join('  ').trimEnd();
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
  for (const c of comparisons) for (const note of c.notes) console.log(`  ${c.bench}: ${note}`);
}

/** Writes the results as JSON under bench/results/ and answers the path. */
export function writeResults(data: object): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
