import { readFileSync } from 'node:fs';

/** CPU seconds (user + system) used by a process so far; 0 if it is gone or /proc is missing. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces), numbered from 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime (14) + stime (15)
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

/** Resident set size of a process in MiB (VmRSS); NaN if it is gone. */
export function rssMb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU used by each process over a phase: seconds, and cores on average (seconds / wall seconds). */
export interface CpuUse {
  seconds: Record<string, number>;
  cores: Record<string, number>;
  wallSeconds: number;
}

/**
 * Measures the CPU each named process used over a phase, to say which one
 * limits it (on a 2-core machine, one near 1.0 core is the bottleneck) and
 * to compare CPU cost per operation, which varies less than wall time when
 * other work shares the machine.
 */
export class CpuMeter {
  private start = new Map<string, number>();
  private startedAt = 0;

  constructor(private readonly pids: Record<string, number | undefined>) {}

  begin(): void {
    this.startedAt = performance.now();
    this.start = new Map(Object.entries(this.pids).flatMap(([name, pid]) => (pid ? [[name, cpuSeconds(pid)]] : [])));
  }

  end(): CpuUse {
    const wallSeconds = (performance.now() - this.startedAt) / 1000;
    const seconds: Record<string, number> = {};
    const cores: Record<string, number> = {};
    for (const [name, before] of this.start) {
      seconds[name] = cpuSeconds(this.pids[name]!) - before;
      cores[name] = Math.round((seconds[name] / wallSeconds) * 100) / 100;
    }
    return { seconds, cores, wallSeconds };
  }
}

/**
 * Milliseconds of CPU per operation, summed over every measured process but
 * `exclude` (the load generator, when the service does the work; the idle
 * service, when the raw client does): the directory, Redis and the client.
 */
export function cpuMsPer(use: CpuUse, exclude: string, operations: number): number {
  const total = Object.entries(use.seconds).reduce((sum, [name, seconds]) => (name === exclude ? sum : sum + seconds), 0);
  return Math.round((total * 1000 * 10) / operations) / 10;
}
