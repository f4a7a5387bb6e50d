// Where the CLI keeps runs as they are logged: our run JSON journal, an MLflow file store, or an MLflow server.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MetricPoint, RunRecord } from '../src/train/run-record.ts';
import { MlflowRestLogger } from '../src/tracking/mlflow-rest.ts';
import { parseTrackingUri } from '../src/tracking/tracking-uri.ts';
import { runJson } from '../src/tracking/run-json.ts';
import { localFileUri, writeMlruns } from '../src/tracking/node/write-mlruns.ts';
import { jsonFileQueueStorage } from '../src/tracking/node/json-file-queue-storage.ts';

export interface RunSink {
  /** The run was created or changed (status, end time); `run.metrics` holds the whole history so far. */
  update(run: RunRecord): Promise<void>;
  /**
   * `run` continues from its checkpoint at `step` (`run.metrics` already cut back to it), before its first
   * update: a sink that cannot rewrite what it holds forgets or skips what was logged after that step.
   */
  resume?(run: RunRecord, step: number): Promise<void>;
  /** New points, already appended to `run.metrics`. */
  metrics(run: RunRecord, points: MetricPoint[]): Promise<void>;
  /** Everything written or sent; `timeoutMs` bounds the wait for a server. */
  close(timeoutMs: number): Promise<void>;
}

async function writeAtomically(path: string, contents: string): Promise<void> {
  await writeFile(`${path}.tmp`, contents);
  await rename(`${path}.tmp`, path);
}

/** `<dir>/<runName>-<runId>.json`: MLflow REST-shaped run JSON with the full metric history, rewritten as it grows. */
export function runJsonSink(dir: string, mlrunsDir: string): RunSink {
  const write = async (run: RunRecord) => {
    await mkdir(dir, { recursive: true });
    await writeAtomically(join(dir, `${run.runName}-${run.runId}.json`), `${JSON.stringify(runJson(run, { rootUri: localFileUri(mlrunsDir) }), null, 1)}\n`);
  };
  return { update: write, metrics: (run) => write(run), close: async () => {} };
}

/** An MLflow file store (`mlruns`), the run rewritten in full at each change so the store is always readable. */
export function fileStoreSink(mlrunsDir: string, warn: (line: string) => void): RunSink {
  const warned = new Set<string>();
  const write = async (run: RunRecord) => {
    const tree = await writeMlruns(mlrunsDir, [run]);
    for (const warning of tree.warnings) if (!warned.has(warning)) warned.add(warning) && warn(warning);
  };
  return { update: write, metrics: (run) => write(run), close: async () => {} };
}

/** Live logging to an MLflow tracking server; points queue in `queueFile` while it is unreachable. */
export function restSink(url: string, queueFile: string, warn: (line: string) => void): RunSink {
  const storage = jsonFileQueueStorage(queueFile);
  const loggers = new Map<string, Promise<MlflowRestLogger>>();
  const reported = new Set<string>();
  const loggerOf = (run: RunRecord) => {
    let logger = loggers.get(run.runId);
    if (!logger) {
      logger = MlflowRestLogger.open(run, {
        trackingUri: url,
        storage,
        onWarning: warn,
        onError: (error) => {
          // One line per kind of failure, not one per retry.
          if (!reported.has(error.message)) reported.add(error.message) && warn(`MLflow server ${url}: ${error.message} (points are queued in ${queueFile})`);
        },
      });
      loggers.set(run.runId, logger);
    }
    return logger;
  };
  return {
    async resume(run, step) {
      await (await loggerOf(run)).resumeAt(step);
    },
    async update(run) {
      const logger = await loggerOf(run);
      if (run.status !== 'RUNNING') await logger.finish(run.status, run.endTime ?? Date.now(), run.error);
    },
    async metrics(run, points) {
      await (await loggerOf(run)).logMetrics(points);
    },
    async close(timeoutMs) {
      for (const pending of loggers.values()) {
        const logger = await pending;
        const deadline = Date.now() + timeoutMs;
        let result = await logger.flush().catch(() => ({ pending: logger.pending }));
        while (result.pending > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 500));
          result = await logger.flush().catch(() => ({ pending: logger.pending }));
        }
        if (result.pending > 0) warn(`MLflow server ${url}: ${result.pending} items not sent yet; they stay queued in ${queueFile} and go out on the next run`);
        logger.close();
      }
    },
  };
}

/**
 * MLflow's convention: an http(s) tracking URI logs live to that server, a path or file:// URI names the file store.
 * Without one, the file store is `<output-dir>/mlruns`. Run JSON is always kept in `<output-dir>/runs`.
 */
export function runSinks(outputDir: string, trackingUri: string | undefined, warn: (line: string) => void): { sinks: RunSink[]; describe: string } {
  const target = parseTrackingUri(trackingUri ?? join(outputDir, 'mlruns'));
  const sinks = [runJsonSink(join(outputDir, 'runs'), target.kind === 'file' ? target.path : join(outputDir, 'mlruns'))];
  if (target.kind === 'rest') sinks.push(restSink(target.url, join(outputDir, 'mlflow-queue.json'), warn));
  else sinks.push(fileStoreSink(target.path, warn));
  return { sinks, describe: target.kind === 'rest' ? `MLflow server ${target.url}` : `MLflow file store ${target.path}` };
}
