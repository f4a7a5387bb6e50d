// Processes found through /proc, for the tests that kill a CLI or a browser for real.
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
