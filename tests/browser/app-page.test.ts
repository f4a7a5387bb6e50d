// The app page driven as a user would, by role and label: the offline demo set up, trained (wasm), charts and
// results filling, a stop, the playground, shared links (good and bad), and training off the main thread.
// APP_SCREENSHOTS=1 also writes the screenshots shown in the README to docs/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer } from '../support/hub-server.ts';
import { collectPageErrors, useHubAndBrowser } from '../support/browser.ts';

let server: RunningServer;
let browser: Browser;
const DOCS = resolve(import.meta.dirname, '../../docs');

useHubAndBrowser((hub, chromium) => ((server = hub), (browser = chromium)));

// Playwright's waitForFunction polls every animation frame by default: that alone loads the main thread, so
// waits during training poll on a timer.

// A string, not a function: tsx's __name helpers do not exist in the page.
const LONG_TASKS = `window.__longTasks = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration }); })
  .observe({ type: 'longtask', buffered: true });`;

async function openApp(query = '', options: { hideWebGPU?: boolean; width?: number } = {}) {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 900 } });
  await context.addInitScript({ content: LONG_TASKS });
  if (options.hideWebGPU) await context.addInitScript({ content: "Object.defineProperty(navigator, 'gpu', { get: () => undefined, configurable: true });" });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  // Links naming Hub models make the plan check their sizes; the Hub is unreachable here.
  const pageErrors = () => errors.filter((e) => !/ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(e));
  await page.goto(`${server.url}/${query}`);
  await page.waitForFunction(() => document.querySelector('#backend-status')?.getAttribute('data-state') !== 'starting', null, { timeout: 60_000 });
  return { page, errors: { list: pageErrors, join: (sep: string) => pageErrors().join(sep) }, close: () => context.close() };
}

async function screenshot(page: Page, name: string) {
  if (process.env.APP_SCREENSHOTS) await page.screenshot({ path: resolve(DOCS, `${name}.png`), fullPage: true });
}

// Screenshots train longer, so the results show the demo model learning; the tests train just enough to check.
const STEPS = process.env.APP_SCREENSHOTS ? 1100 : 20;
const LOG_EVERY = STEPS / 4;
const EVAL_EVERY = STEPS / 2;

/** Offline demo on wasm, limited to a few steps so the test is quick. */
async function setUpOfflineDemo(page: Page, maxSteps: number) {
  await page.getByRole('button', { name: 'Offline demo' }).click();
  await page.getByLabel('Training backend').selectOption('wasm');
  await page.getByLabel('Stop after (steps, -1: no limit)').fill(String(maxSteps));
  await page.getByLabel('Log loss every (steps)').fill(String(LOG_EVERY));
  await page.getByLabel('Evaluate every (steps)').fill(String(EVAL_EVERY));
  // Filling a number input fires input, not change, until it loses focus.
  await page.getByLabel('Evaluate every (steps)').press('Tab');
}

const trainingState = (page: Page) => page.getAttribute('#training-status', 'data-state');

test('offline demo: set up, plan, train on wasm in the worker, charts and results fill, playground answers', async () => {
  const { page, errors, close } = await openApp();
  try {
    await setUpOfflineDemo(page, STEPS);
    assert.match(page.url(), /data=demo/);
    assert.match(page.url(), new RegExp(`max-steps=${STEPS}`));
    await page.waitForFunction(() => document.querySelector('#plan-status')?.getAttribute('data-state') === 'ready' && document.querySelectorAll('#plan-memory-table tr[data-model]').length === 1, null, { timeout: 30_000 });
    assert.match((await page.textContent('#plan-downloads')) ?? '', /\.\/demo\/model: model\.safetensors/);
    assert.notEqual(await page.textContent('#plan-total'), '0 B');
    assert.match((await page.textContent('#plan-memory-table')) ?? '', /0\.1 M/);
    await screenshot(page, 'app-setup');

    const t0 = await page.evaluate(() => performance.now());
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.waitForFunction(() => ['ready', 'warning', 'error'].includes(document.querySelector('#training-status')?.getAttribute('data-state') ?? ''), null, { timeout: 120_000 + STEPS * 1_000, polling: 250 });
    assert.equal(await trainingState(page), 'ready', `${await page.textContent('#training-status')} | ${errors.join(' | ')}`);
    const t1 = await page.evaluate(() => performance.now());

    // Live charts: loss and learning rate four times, accuracy for six languages twice.
    assert.equal(await page.getAttribute('[data-download="chart-loss"]', 'data-download'), 'chart-loss');
    const points = (id: string) => page.locator(`figure:has(#${id})`).getAttribute('data-points');
    // Charts redraw at most twice a second: the last points may land just after the run ends.
    await page.waitForFunction(() => document.querySelector('figure:has(#chart-accuracy)')?.getAttribute('data-points') === '12', null, { timeout: 60_000, polling: 100 })
      .catch(() => undefined);
    assert.equal(await points('chart-loss'), '4');
    assert.equal(await points('chart-lr'), '4');
    assert.equal(await points('chart-accuracy'), '12');
    assert.equal(await page.locator('figure:has(#chart-accuracy)').getAttribute('data-series'), '6');

    // Results: one row, six languages, the gap from English beside each other language.
    const header = await page.locator('#results-table tr').first().locator('th').allTextContents();
    assert.deepEqual(header, ['model', 'technique', 'en', 'ar', 'de', 'es', 'fr', 'zh']);
    const cells = page.locator('#results-table tr[data-run] td[data-language]');
    assert.equal(await cells.count(), 6);
    const en = Number(await page.locator('#results-table td[data-language="en"] .accuracy').textContent());
    const de = Number(await page.locator('#results-table td[data-language="de"] .accuracy').textContent());
    const gap = (await page.locator('#results-table td[data-language="de"] .gap').textContent()) ?? '';
    assert.ok(en > 0 && en <= 100);
    // The gap is computed from unrounded accuracies: within rounding of the two shown values.
    const shownGap = Number(gap.slice(1)) * (gap.startsWith('−') ? 1 : -1);
    assert.ok(Math.abs(shownGap - (en - de)) <= 0.1 + 1e-9, `gap ${gap} for en ${en}, de ${de}`);
    assert.match((await page.locator('#results-table td[data-language="de"]').getAttribute('style')) ?? '', /background-color: rgb/);
    const csv = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download table as CSV' }).click();
    const csvText = await (await csv).createReadStream().then(async (stream) => {
      let text = '';
      for await (const chunk of stream) text += chunk;
      return text;
    });
    assert.match(csvText, /^model,technique,run,status,en_accuracy,en_gap_from_en_points,ar_accuracy/);
    assert.match(csvText, /\n\.\/demo\/model,fine-tune,model-fine-tune,FINISHED,0\.\d{4},,/);
    const png = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download “Accuracy per language” as PNG' }).click();
    assert.equal((await png).suggestedFilename(), 'chart-accuracy.png');

    // The runs list has the run, finished.
    await page.waitForFunction(() => /model-fine-tune\s*finished/.test(document.querySelector('#runs-table')?.textContent ?? ''), null, { timeout: 60_000, polling: 250 });

    // Training ran off the main thread: the window itself fetched no wasm while it trained (the worker's fetches
    // are in the worker's own timeline). Long tasks are only reported: their length depends on the machine's
    // load, not on the app.
    const windowWasm = await page.evaluate(([from, to]) => performance.getEntriesByType('resource')
      .filter((e) => e.startTime >= from && e.startTime <= to && /\.wasm(\?|$)/.test(e.name)).map((e) => e.name), [t0, t1]);
    assert.deepEqual(windowWasm, []);
    const longTasks = await page.evaluate(([from, to]) => (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks.filter((t) => t.start >= from && t.start <= to), [t0, t1]);
    console.log(`# main-thread tasks over 50 ms while training: ${longTasks.length}, longest ${Math.max(0, ...longTasks.map((t) => t.duration)).toFixed(0)} ms`);
    await screenshot(page, 'app-results');

    // Playground: the model just trained, an example pair, three probabilities.
    assert.match(await page.locator('#predict-source option:checked').textContent() ?? '', new RegExp(`trained here, step ${STEPS}`));
    await page.getByRole('button', { name: 'Example (de)' }).click();
    assert.equal(await page.getByLabel('Premise').inputValue(), 'Eine Frau liest ein Buch im Park.');
    await page.getByRole('button', { name: 'Predict' }).click();
    await page.waitForFunction(() => ['ready', 'error'].includes(document.querySelector('#predict-status')?.getAttribute('data-state') ?? '') && !!document.querySelector('#predict-status')?.textContent, null, { timeout: 60_000 });
    assert.equal(await page.getAttribute('#predict-status', 'data-state'), 'ready', (await page.textContent('#predict-status')) ?? '');
    const probabilities = (await page.locator('#predict-result td.number').allTextContents()).map(Number);
    assert.equal(probabilities.length, 3);
    assert.ok(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-3);
    await screenshot(page, 'app-playground');
    assert.deepEqual(errors.list(), []);
  } finally {
    await close();
  }
});

test('Stop ends a run cleanly: status killed, checkpoint kept for the playground', async () => {
  const { page, errors, close } = await openApp();
  try {
    await setUpOfflineDemo(page, -1);
    await page.getByRole('button', { name: 'Start training' }).click();
    // The panel reports the training rate (data-rate) once training has run for a moment; evaluations every
    // few steps do not restart its window. The line then says the rate and the time left.
    const line = await page.waitForFunction(() => {
      const phase = document.querySelector('#training-phase');
      return !!phase?.hasAttribute('data-rate') && /Training: \d+ \/ \d+ steps/.test(phase.textContent ?? '') && phase.textContent;
    }, null, { timeout: 120_000, polling: 250 });
    assert.match(String(await line.jsonValue()), /Training: \d+ \/ \d+ steps.*steps\/s · about .+ left/);
    await screenshot(page, 'app-training');
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.waitForFunction(() => ['ready', 'warning', 'error'].includes(document.querySelector('#training-status')?.getAttribute('data-state') ?? ''), null, { timeout: 120_000, polling: 250 });
    assert.equal(await trainingState(page), 'warning', (await page.textContent('#training-status')) ?? '');
    assert.match((await page.textContent('#training-status')) ?? '', /Stopped after .*checkpoint is kept/);
    await page.waitForFunction(() => /killed/.test(document.querySelector('#runs-table')?.textContent ?? ''), null, { timeout: 60_000, polling: 250 });
    assert.match(await page.locator('#predict-source option:checked').textContent() ?? '', /trained here, step \d+/);
    assert.deepEqual(errors.list(), []);
  } finally {
    await close();
  }
});

test('a shared link fills the form, and the form writes its set-up back into the link', async () => {
  const { page, errors, close } = await openApp('?technique=feature-extraction&model-names=./demo/model&data=demo&eval-datasets-names=en,de&batch-size=16&seed=5&learning-rate=0.001&max-steps=20&backend=wasm');
  try {
    assert.equal(await page.getByLabel('feature-extraction (only the classifier head trains)').isChecked(), true);
    assert.equal(await page.getByLabel('./demo/model (embedded demo model)').isChecked(), true);
    assert.equal(await page.getByLabel('google-bert/bert-base-multilingual-cased').isChecked(), false);
    assert.equal(await page.getByLabel('en English').isChecked(), true);
    assert.equal(await page.getByLabel('de German').isChecked(), true);
    assert.equal(await page.getByLabel('fr French').isChecked(), false);
    assert.equal(await page.getByLabel('Batch size').inputValue(), '16');
    assert.equal(await page.getByLabel('Seed').inputValue(), '5');
    assert.equal(await page.getByLabel('Learning rate', { exact: true }).inputValue(), '0.001');
    assert.equal(await page.getByLabel('Data', { exact: true }).inputValue(), 'demo');
    assert.equal(await page.getByLabel('Training backend').inputValue(), 'wasm');
    assert.equal(await page.locator('#setup-errors').isHidden(), true);
    await page.getByLabel('fr French').check();
    await page.getByLabel('Seed').fill('9');
    await page.getByLabel('Seed').press('Tab');
    const query = new URL(page.url()).searchParams;
    assert.equal(query.get('eval-datasets-names'), 'de,en,fr');
    assert.equal(query.get('seed'), '9');
    assert.equal(query.get('technique'), 'feature-extraction');
    assert.equal(query.get('data'), 'demo');
    // A value equal to the reference's default leaves the link, and the reloaded link still means it.
    await page.getByLabel('Batch size').fill('8');
    await page.getByLabel('Batch size').press('Tab');
    assert.equal(new URL(page.url()).searchParams.has('batch-size'), false);
    await page.reload();
    await page.getByLabel('Seed').waitFor();
    assert.equal(await page.getByLabel('Batch size').inputValue(), '8');
    assert.equal(await page.getByLabel('Seed').inputValue(), '9');
    assert.equal(await page.getByLabel('fr French').isChecked(), true);
    assert.deepEqual(errors.list(), []);
  } finally {
    await close();
  }
});

test('a link with invalid values lists each one instead of replacing it silently', async () => {
  const { page, close } = await openApp('?technique=transfer&batch-size=abc&eval-datasets-names=en,xx&learning-rate=5&colour=blue&model-names=./demo/model');
  try {
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const items = await alert.locator('li').allTextContents();
    assert.ok(items.some((e) => /^technique=transfer: must be fine-tune or feature-extraction/.test(e)), items.join('\n'));
    assert.ok(items.some((e) => /^batch-size=abc: not an integer; the form keeps 8/.test(e)), items.join('\n'));
    assert.ok(items.some((e) => /XNLI has no language "xx"/.test(e)), items.join('\n'));
    assert.ok(items.some((e) => /learning rate must be in \(0, 1\), got 5/.test(e)), items.join('\n'));
    assert.ok(items.some((e) => /^colour=blue: unknown setting/.test(e)), items.join('\n'));
    await screenshot(page, 'app-link-errors');
    // Starting anyway is refused with the form's own problems.
    await page.getByRole('button', { name: 'Start training' }).click();
    assert.match((await alert.textContent()) ?? '', /cannot train yet[\s\S]*learning rate must be in \(0, 1\)/);
  } finally {
    await close();
  }
});

test('without WebGPU the page says so plainly and that the fallback is slower', async () => {
  const { page, close } = await openApp('', { hideWebGPU: true });
  try {
    const notice = page.getByRole('note');
    assert.match((await notice.textContent()) ?? '', /WebGPU is not available here \(navigator\.gpu is missing.*slower/s);
  } finally {
    await close();
  }
});
