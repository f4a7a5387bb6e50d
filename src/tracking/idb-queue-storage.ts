/** The page's persisted MLflow queue: one IndexedDB entry per run, through idb-keyval. */
import { createStore, get, set, type UseStore } from 'idb-keyval';
import type { LoggerState, QueueStorage } from './mlflow-rest.ts';

export function idbQueueStorage(store: UseStore = createStore('xnli-mlflow-queue', 'runs')): QueueStorage {
  return {
    load: (id) => get<LoggerState>(id, store),
    save: (id, state) => set(id, state, store),
  };
}
