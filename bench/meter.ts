// Peak memory and CPU use of a set of processes (and of PostgreSQL's) over a run, read from /proc.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const RSS_POLL_MS = 100;
// Linux reports CPU time in clock ticks of 1/100 s on every common configuration.
const TICKS_PER_SECOND = 100;

export interface Usage {
  /** Peak resident memory summed over the processes, MB. */
  peakRssMb: number;
  /** CPU time over the run as a share of one core, summed over the processes (200 = two cores). */
  cpuPercent: number;
  /** The same for the PostgreSQL server's work for the bench database . */
  postgresCpuPercent: number;
  /** The load generator: the bench process (autocannon) and the wrk runs it waited for (0 when the bench is metered itself). */
  loadCpuPercent: number;
  /** CPU used by anything else: neither these processes, PostgreSQL, nor the bench itself. */
  otherCpuPercent: number;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // the process ended between listing and reading
  }
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(read(`/proc/${pid}/status`));
  return match ? Number(match[1]) : 0;
}

function cpuTicks(pid: number, withChildren = false): number {
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th of the line,
  // cutime and cstime (children waited for: a wrk run that ended) the 16th and 17th.
  const fields = read(`/proc/${pid}/stat`).split(') ')[1]?.split(' ') ?? [];
  const own = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  return withChildren ? own + Number(fields[13] ?? 0) + Number(fields[14] ?? 0) : own;
}

/**
 * The server's shared processes (postmaster, WAL writer, checkpointer…) and the backends serving
 * `database`; backends of other databases (someone else's tests) count as other load.
 */
function postgresPids(database: string | undefined): number[] {
  if (!database) return [];
  const pids = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
  return pids.filter((pid) => {
    if (read(`/proc/${pid}/comm`).trim() !== 'postgres') return false;
    const title = read(`/proc/${pid}/cmdline`).replaceAll('\0', ' ');
    return !title.includes('(') || title.includes(` ${database} `); // a backend's title shows its client as host(port)
  });
}

function resetPeaks(pids: readonly number[]): boolean {
  try {
    for (const pid of pids) writeFileSync(`/proc/${pid}/clear_refs`, '5'); // "5" resets VmHWM (Linux ≥ 4.0)
    return true;
  } catch {
    return false;
  }
}

/**
 * Busy and total CPU ticks of the whole machine, all cores summed. Busy is user + nice + system, the
 * kinds of time processes are charged with; interrupt time (loopback networking) belongs to no process.
 */
function machineTicks(): { busy: number; total: number } {
  const fields = read('/proc/stat').split('\n')[0]!.trim().split(/\s+/).slice(1, 8).map(Number);
  const [user = 0, nice = 0, system = 0] = fields;
  return { busy: user + nice + system, total: fields.reduce((a, b) => a + b, 0) };
}

/** Starts metering `pids` (and PostgreSQL's work for `database`); the returned function stops and answers their usage since. */
export function startMeter(pids: readonly number[], database?: string): () => Usage {
  const hwmReset = resetPeaks(pids);
  const sumRss = (field: 'VmRSS' | 'VmHWM') => pids.reduce((total, pid) => total + statusKb(pid, field), 0);
  const sumTicks = (list: readonly number[]) => list.reduce((total, pid) => total + cpuTicks(pid), 0);
  const postgresBefore = new Map(postgresPids(database).map((pid) => [pid, cpuTicks(pid)]));
  const ticksBefore = sumTicks(pids);
  const benchBefore = pids.includes(process.pid) ? 0 : cpuTicks(process.pid, true);
  const machineBefore = machineTicks().busy;
  const started = performance.now();
  let polledKb = sumRss('VmRSS');
  const timer = setInterval(() => (polledKb = Math.max(polledKb, sumRss('VmRSS'))), RSS_POLL_MS);
  return () => {
    clearInterval(timer);
    const seconds = (performance.now() - started) / 1000;
    const share = (ticks: number) => Math.round((100 * ticks) / TICKS_PER_SECOND / seconds);
    // Backends that started during the run count from zero; those that ended are lost (short-lived anyway).
    const postgresTicks = postgresPids(database).reduce((total, pid) => total + cpuTicks(pid) - (postgresBefore.get(pid) ?? 0), 0);
    const ownTicks = sumTicks(pids) - ticksBefore;
    const benchTicks = pids.includes(process.pid) ? 0 : cpuTicks(process.pid, true) - benchBefore;
    const otherTicks = machineTicks().busy - machineBefore - ownTicks - postgresTicks - benchTicks;
    return {
      peakRssMb: Math.round(Math.max(polledKb, hwmReset ? sumRss('VmHWM') : 0) / 102.4) / 10,
      cpuPercent: share(ownTicks),
      postgresCpuPercent: share(postgresTicks),
      loadCpuPercent: share(benchTicks),
      otherCpuPercent: Math.max(0, share(otherTicks)),
    };
  };
}

/** Share of all CPU time spent busy over `ms`, before anything of ours runs. */
export async function machineBusy(ms: number): Promise<number> {
  const before = machineTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = machineTicks();
  return (after.busy - before.busy) / Math.max(1, after.total - before.total);
}
