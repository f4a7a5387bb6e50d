// Processes found through /proc (Linux): the CLI's browser memory, and the tests that kill a CLI or a browser for real.
import { readdirSync, readFileSync } from 'node:fs';

function children(): Map<number, number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  return parents;
}

/** Every process descended from `pid` (a CLI's browser and its helpers, whatever process group they are in). */
export function descendants(pid: number): number[] {
  const tree = children();
  const found: number[] = [];
  const walk = (p: number) => (tree.get(p) ?? []).forEach((child) => (found.push(child), walk(child)));
  walk(pid);
  return found;
}

/** Processes under this one whose command line contains `text` (e.g. a browser's --user-data-dir). */
export function descendantsRunning(text: string): number[] {
  return descendants(process.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
    } catch {
      return false;
    }
  });
}

function residentBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface MemoryPeak {
  /** All the processes under this one together, and the largest of them (a renderer), at their highest. */
  totalBytes: number;
  largestBytes: number;
}

/**
 * Samples the resident memory of this process's descendants (the browser) every `intervalMs`; null where /proc
 * cannot be read (not Linux). The peak is what a crash report quotes.
 */
export function sampleChildMemory(intervalMs = 1000): { peak(): MemoryPeak | null; stop(): void } | null {
  try {
    readdirSync('/proc');
  } catch {
    return null;
  }
  const peak: MemoryPeak = { totalBytes: 0, largestBytes: 0 };
  const sample = () => {
    const sizes = descendants(process.pid).map(residentBytes);
    peak.totalBytes = Math.max(peak.totalBytes, sizes.reduce((a, b) => a + b, 0));
    peak.largestBytes = Math.max(peak.largestBytes, ...sizes, 0);
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return { peak: () => (sample(), peak.totalBytes > 0 ? { ...peak } : null), stop: () => clearInterval(timer) };
}

/** SIGKILL to each pid (negative: a process group), at once; those already gone are skipped. */
export function killAll(pids: number[]): void {
  for (const target of pids) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
