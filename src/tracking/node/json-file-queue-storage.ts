/** The CLI's persisted MLflow queue: one JSON file holding every run's state, replaced atomically. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LoggerState, QueueStorage } from '../mlflow-rest.ts';

export function jsonFileQueueStorage(path: string): QueueStorage {
  let writes: Promise<void> = Promise.resolve();
  const readAll = async (): Promise<Record<string, LoggerState>> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return {};
    }
    try {
      return JSON.parse(text) as Record<string, LoggerState>;
    } catch (error) {
      throw new Error(`the MLflow queue file ${path} is not valid JSON (${(error as Error).message}); move it away to start a new queue`);
    }
  };
  return {
    async load(id) {
      await writes;
      return (await readAll())[id];
    },
    save(id, state) {
      // Saves are chained so that two runs' states never overwrite each other.
      const next = writes.then(async () => {
        const all = await readAll();
        all[id] = state;
        await mkdir(dirname(path), { recursive: true });
        const tmp = `${path}.${process.pid}.tmp`;
        await writeFile(tmp, JSON.stringify(all));
        await rename(tmp, path);
      });
      writes = next.catch(() => {});
      return next;
    },
  };
}
