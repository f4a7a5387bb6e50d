// The page's tracking exports: runs go out as an MLflow `mlruns` zip that MLflow's FileStore rules accept and as
// run JSON, and both come back in through the import, with every point.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startHubServer, type RunningServer } from '../support/hub-server.ts';
import { launchTestBrowser } from '../support/browser.ts';
import { ensureHubFixtures } from '../fixtures/write-fixtures.ts';
import { readMlflowStore, treeFromZip } from '../support/mlflow-file-store-reader.ts';
import { historiesOf, trainingRun } from '../support/mlflow-run-fixtures.ts';
import { runJson } from '../../src/tracking/run-json.ts';

let server: RunningServer;
let browser: Browser;
let work: string;

before(async () => {
  server = await startHubServer(await ensureHubFixtures());
  browser = await launchTestBrowser();
  work = await mkdtemp(join(tmpdir(), 'xnli-app-tracking-'));
});

after(async () => {
  await browser?.close();
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

async function openApp(): Promise<Page> {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${server.url}/?backend=cpu`);
  await page.waitForFunction(() => document.querySelector('#backend-status')?.getAttribute('data-state') !== 'starting', null, { timeout: 60_000 });
  await page.locator('#mlflow-files > summary').click();
  return page;
}

async function importFile(page: Page, path: string) {
  await page.getByLabel('Import runs (MLflow run JSON or mlruns zip)').setInputFiles(path);
  await page.waitForFunction(() => /Imported|:/.test(document.querySelector('#import-status')?.textContent ?? ''), null, { timeout: 30_000 });
  assert.equal(await page.getAttribute('#import-status', 'data-state'), 'ready', (await page.textContent('#import-status')) ?? '');
}

test('runs imported as run JSON export as an mlruns zip that MLflow reads, which imports back whole', async () => {
  const finished = trainingRun({ runId: 'a'.repeat(32), runName: 'tiny-bert-fine-tune', status: 'FINISHED', steps: 220 });
  const failed = trainingRun({ runId: 'b'.repeat(32), runName: 'tiny-bert-feature-extraction', technique: 'feature-extraction', status: 'FAILED', steps: 40, error: 'the loss became NaN' });
  for (const [i, run] of [finished, failed].entries()) {
    await writeFile(join(work, `run${i}.json`), JSON.stringify(runJson(run, { rootUri: 'file:///tmp/mlruns' })));
  }
  const page = await openApp();
  await importFile(page, join(work, 'run0.json'));
  await importFile(page, join(work, 'run1.json'));
  await page.waitForFunction(() => document.querySelectorAll('#runs-table tr[data-run-id]').length === 2, null, { timeout: 60_000 });

  await page.getByLabel('Folder you will unzip MLflow exports in').fill(work);
  await page.getByLabel('Folder you will unzip MLflow exports in').dispatchEvent('change');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export all runs (MLflow zip)' }).click()]);
  const zipPath = join(work, 'mlruns.zip');
  await download.saveAs(zipPath);
  const zip = new Uint8Array(await readFile(zipPath));
  const store = readMlflowStore(treeFromZip(zip), { rootUri: `file://${work}/mlruns` });
  const stored = new Map([...store.values()].flatMap((experiment) => [...experiment.runs.entries()]));
  for (const run of [finished, failed]) {
    const found = stored.get(run.runId);
    assert.ok(found, `${run.runName} is in the store`);
    for (const [key, points] of Object.entries(historiesOf(run))) {
      assert.deepEqual(found.metrics[key]?.map((p) => [p.step, p.value]), points.map((p) => [p.step, p.value]), `${run.runName}: every point of ${key}`);
    }
  }

  const fresh = await openApp();
  await importFile(fresh, zipPath);
  await fresh.waitForFunction(() => document.querySelectorAll('#runs-table tr[data-run-id]').length === 2, null, { timeout: 60_000 });
  assert.match((await fresh.textContent(`#runs-table tr[data-run-id="${finished.runId}"]`)) ?? '', /finished/);
  assert.match((await fresh.textContent(`#runs-table tr[data-run-id="${failed.runId}"]`)) ?? '', /failed/);
});
