// What the benchmarks print: a line per run, a ratio per comparison, the summary table, the JSON file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadStats } from './load.js';

export interface RunStats extends LoadStats {
  label: string;
  /** Peak resident memory of the server processes during the run; undefined when no server ran. */
  peakRssMb?: number;
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

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '-');
const rps = (value: number) => Math.round(value).toLocaleString('en-US');
const mb = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(0));

export function statusText(statuses: Record<string, number>): string {
  return Object.entries(statuses).map(([status, count]) => `${status}×${count}`).join(' ');
}

export function printRun(run: RunStats): void {
  console.log(
    `  ${run.label.padEnd(44)} ${rps(run.rps).padStart(7)} req/s  p50 ${ms(run.p50).padStart(7)} ms  p99 ${ms(run.p99).padStart(7)} ms` +
      `  peak RSS ${mb(run.peakRssMb).padStart(4)} MB  [${statusText(run.statuses)}]`,
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

/** Builds and prints a comparison; `extra` may fail it on another condition (say, any 5xx). */
export function compare(bench: string, metric: string, measured: RunStats, baseline: RunStats, ratio: number,
  target?: Target, extra: { ok: boolean; note: string } = { ok: true, note: '' }): Comparison {
  const withinTarget = target ? (target.op === '>=' ? ratio >= target.value : ratio <= target.value) : undefined;
  const met = withinTarget === undefined ? undefined : withinTarget && extra.ok;
  const comparison: Comparison = { bench, metric, measured, baseline, ratio, target, met, notes: extra.note ? [extra.note] : [] };
  console.log(`  → ratio ${ratio.toFixed(3)} (${metric}; target ${targetText(target)}): ${verdict(comparison)}${extra.note ? ` — ${extra.note}` : ''}`);
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
  const header = ['benchmark', 'measured', 'req/s', 'p50 ms', 'p99 ms', 'RSS MB', 'baseline', 'req/s', 'p50 ms', 'p99 ms', 'RSS MB',
    'ratio', 'of', 'target', 'result'];
  const rows = comparisons.map((c) => [c.bench, ...cells(c.measured), ...cells(c.baseline),
    c.ratio === undefined ? '-' : c.ratio.toFixed(3), c.metric, targetText(c.target), verdict(c)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = new Set([2, 3, 4, 5, 7, 8, 9, 10, 11]);
  const line = (r: string[]) => r.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
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
