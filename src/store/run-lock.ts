// Tells a run that is training from one whose page is gone: the page training a run holds a Web Lock named
// after it, which the browser releases when the page closes, reloads or crashes. Without the Web Locks API the
// page writes a heartbeat into the run's record instead (see HEARTBEAT_TIMEOUT_MS).
const PREFIX = 'xnli-run:';

export function webLocksAvailable(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.locks?.request === 'function';
}

export class RunBusyError extends Error {
  constructor(runId: string) {
    super(`run ${runId} is training in another tab or window of this browser; stop it there first`);
    this.name = 'RunBusyError';
  }
}

/**
 * Takes the run's lock and holds it until the returned function is called (or the page goes away). Throws
 * RunBusyError when another page holds it. Without Web Locks it returns at once (the heartbeat takes over).
 */
export async function holdRunLock(runId: string): Promise<() => void> {
  if (!webLocksAvailable()) return () => {};
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const acquired = await new Promise<boolean>((resolve, reject) => {
    navigator.locks
      .request(PREFIX + runId, { ifAvailable: true }, async (lock) => {
        resolve(lock !== null);
        if (lock) await held;
      })
      .catch(reject);
  });
  if (!acquired) throw new RunBusyError(runId);
  return release;
}

/** Ids of the runs whose lock some page holds now; null without the Web Locks API. */
export async function heldRunLocks(): Promise<Set<string> | null> {
  if (!webLocksAvailable()) return null;
  const { held = [] } = await navigator.locks.query();
  return new Set(held.map((lock) => lock.name ?? '').filter((name) => name.startsWith(PREFIX)).map((name) => name.slice(PREFIX.length)));
}
