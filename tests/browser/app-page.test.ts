// The app page driven as a user would, by role and label, at a projector's size (1280x800) and a phone's
// (390x844): the first screen, the offline demo trained (wasm) into the live view, charts and results, a stop,
// a reload mid-run and Resume, the playground, shared links (good and bad), and training off the main thread.
// APP_SCREENSHOTS=1 also writes the screenshots shown in the README to docs/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer } from '../support/hub-server.ts';
import { collectPageErrors, useHubAndBrowser } from '../support/browser.ts';
import { startHubServer } from '../support/hub-server.ts';
import { REFERENCE_SHAPES } from '../support/reference-shape.ts';

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


const PROJECTOR = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

async function openApp(query = '', options: { hideWebGPU?: boolean; viewport?: { width: number; height: number } } = {}) {
  const context = await browser.newContext({ viewport: options.viewport ?? PROJECTOR });
  await context.addInitScript({ content: LONG_TASKS });
  if (options.hideWebGPU) await context.addInitScript({ content: "Object.defineProperty(navigator, 'gpu', { get: () => undefined, configurable: true });" });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  // Links naming Hub models make the plan check their sizes; the Hub is unreachable here.
  const pageErrors = () => errors.filter((e) => !/ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(e));
  await page.goto(`${server.url}/${query}`);
  await page.waitForFunction(() => document.querySelector('#backend-status')?.getAttribute('data-state') !== 'starting', null, { timeout: 60_000 });
  return { page, errors: { list: pageErrors, join: (sep: string) => pageErrors().join(sep) }, close: () => context.close() };
}

async function screenshot(page: Page, name: string, fullPage = false) {
  if (process.env.APP_SCREENSHOTS) await page.screenshot({ path: resolve(DOCS, `${name}.png`), fullPage });
}

// Screenshots train the whole demo, so the results show its story; the tests train just enough to check.
const STEPS = process.env.APP_SCREENSHOTS ? -1 : 20;
const LOG_EVERY = 5;
const EVAL_EVERY = 10;

async function openAdvanced(page: Page) {
  const advanced = page.locator('#setup-advanced');
  if (!(await advanced.evaluate((d) => (d as HTMLDetailsElement).open))) await page.locator('#setup-advanced > summary').click();
}

/** Offline demo on wasm, limited to a few steps so the test is quick. */
async function setUpOfflineDemo(page: Page, maxSteps: number, saveEvery?: number) {
  await page.getByRole('button', { name: 'Offline demo' }).click();
  await openAdvanced(page);
  await page.getByLabel('Training backend').selectOption('wasm');
  await page.getByLabel('Stop after (steps)').fill(maxSteps > 0 ? String(maxSteps) : '');
  if (maxSteps > 0 || saveEvery) {
    await page.getByLabel('Log loss every (steps)').fill(String(LOG_EVERY));
    if (saveEvery) await page.getByLabel('Save a checkpoint every (steps)').fill(String(saveEvery));
    await page.locator('#setup-training > summary').click();
    await page.getByLabel('Evaluate every (steps)').fill(String(EVAL_EVERY));
  }
  // Filling a number input fires input, not change, until it loses focus.
  await page.keyboard.press('Tab');
  await page.locator('#setup-advanced > summary').click();
  if (await page.locator('#setup-training').evaluate((d) => (d as HTMLDetailsElement).open)) await page.locator('#setup-training > summary').click();
}

const trainingState = (page: Page) => page.getAttribute('#training-status', 'data-state');
const waitForEnd = (page: Page, timeout = 180_000) => page.waitForFunction(() => ['ready', 'warning', 'error'].includes(document.querySelector('#training-status')?.getAttribute('data-state') ?? ''), null, { timeout, polling: 250 });
const inViewport = (page: Page, selector: string) => page.locator(selector).first().evaluate((e) => {
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;
});

test('the first screen at 1280x800: the experiment, where training runs, the basic choices and Start, a few Tab presses away', async () => {
  const { page, errors, close } = await openApp();
  try {
    const lead = (await page.locator('.lead').textContent()) ?? '';
    assert.match(lead, /premise[\s\S]*hypothesis[\s\S]*English[\s\S]*33\.3%/, lead);
    await page.waitForFunction(() => document.querySelector('#backend-status')?.textContent?.startsWith('Training runs on'), null, { timeout: 30_000 });
    // This machine has no GPU: Chromium's WebGPU is SwiftShader, and training goes to WASM.
    assert.match((await page.locator('#backend-status').textContent()) ?? '', /^Training runs on WASM on \d+ CPU threads?: WebGPU here is a software adapter/);
    for (const selector of ['h1', '.lead', '#backend-status', '[data-preset]', '#start-training', '#setup-technique', '#setup-models', '#training-progress', '#chart-loss', '#chart-accuracy']) {
      assert.ok(await inViewport(page, selector), `${selector} is on the first screen`);
    }
    assert.equal(await page.getByRole('button', { name: 'Offline demo' }).getAttribute('aria-pressed'), 'true', 'the active preset shows it');
    assert.equal(await page.getByRole('button', { name: 'Quick demo' }).getAttribute('aria-pressed'), 'false');
    assert.equal(await page.getByRole('progressbar').count(), 1);
    // Details live under Advanced, closed.
    const form = page.getByRole('form', { name: 'Training set-up' });
    assert.equal(await form.getByLabel('Hub endpoint').isVisible(), false);
    assert.equal(await form.getByLabel('Seed').isVisible(), false);
    assert.match((await page.locator('#model-0-state, [id$="-state"]').allTextContents()).join(' '), /embedded in the app/);
    let presses = 0;
    while (presses < 10 && !(await page.evaluate(() => document.activeElement?.id === 'start-training'))) {
      await page.keyboard.press('Tab');
      presses++;
    }
    assert.ok(presses <= 6, `Start took ${presses} Tab presses`);
    await screenshot(page, 'app-first-screen');
    assert.deepEqual(errors.list(), []);
  } finally {
    await close();
  }
});

test('offline demo: Start brings the live view, training runs on wasm in the worker, charts and results fill, playground answers', async () => {
  const { page, errors, close } = await openApp();
  try {
    await setUpOfflineDemo(page, STEPS);
    assert.match(page.url(), /data=demo/);
    if (STEPS > 0) assert.match(page.url(), new RegExp(`max-steps=${STEPS}`));
    await page.waitForFunction(() => document.querySelector('#plan-status')?.getAttribute('data-state') === 'ready' && document.querySelectorAll('#plan-memory-table tr[data-model]').length === 1, null, { timeout: 30_000 });
    assert.match((await page.textContent('#plan-downloads')) ?? '', /\.\/demo\/model: model\.safetensors/);
    assert.notEqual(await page.textContent('#plan-total'), '0 B');
    assert.match((await page.textContent('#plan-memory-table')) ?? '', /0\.1 M/);

    const t0 = await page.evaluate(() => performance.now());
    await page.getByRole('button', { name: 'Start training' }).click();
    // Within a second, without scrolling: the live view is on screen and has the keyboard focus.
    await page.waitForFunction(() => document.activeElement?.id === 'training-heading', null, { timeout: 1_000, polling: 50 });
    for (const selector of ['#training-progress', '#chart-loss', '#chart-accuracy']) assert.ok(await inViewport(page, selector), `${selector} is on screen after Start`);
    await page.waitForFunction(() => /Waiting for the first evaluation, at step \d+/.test(document.querySelector('#chart-accuracy-note')?.textContent ?? ''), null, { timeout: 60_000, polling: 100 });
    await screenshot(page, 'app-training');
    await waitForEnd(page, STEPS > 0 ? 180_000 : 600_000);
    assert.equal(await trainingState(page), 'ready', `${await page.textContent('#training-status')} | ${errors.join(' | ')}`);
    const t1 = await page.evaluate(() => performance.now());

    // Live charts: loss every 5 steps, accuracy for six languages at 10 and 20 (every run also evaluates at its end).
    const points = (id: string) => page.locator(`figure:has(#${id})`).getAttribute('data-points');
    if (STEPS > 0) {
      await page.waitForFunction(() => document.querySelector('figure:has(#chart-accuracy)')?.getAttribute('data-points') === '12', null, { timeout: 60_000, polling: 100 }).catch(() => undefined);
      assert.equal(await points('chart-loss'), '4');
      assert.equal(await points('chart-lr'), '4');
      assert.equal(await points('chart-accuracy'), '12');
    }
    assert.equal(await page.locator('figure:has(#chart-accuracy)').getAttribute('data-series'), '6');
    assert.equal(await page.locator('#chart-accuracy-note').isHidden(), true, 'the waiting note goes once there is a point');
    // Read from the chart itself: languages by name, accuracy in %, the dashed chance line, names beside the lines,
    // text of at least 16 px in dark ink.
    const figure = page.locator('figure:has(#chart-accuracy)');
    const labels = JSON.parse((await figure.getAttribute('data-labels')) ?? '[]') as string[];
    assert.ok(labels.includes('German (de)'), labels.join(', '));
    assert.deepEqual(JSON.parse((await figure.getAttribute('data-reference')) ?? '[]').map((ys: number[]) => ys.map((y) => y.toFixed(1))), [['33.3', '33.3']]);
    assert.equal(await figure.getAttribute('data-legend'), 'line-ends', 'each line is named at its end, beside the plot');
    assert.ok(Number(await figure.getAttribute('data-font-size')) >= 16);

    // Results: one row, six languages by name, the gap from English beside each other language. The table redraws
    // at most twice a second.
    await page.waitForFunction(() => !/running/.test(document.querySelector('#results-table')?.textContent ?? ''), null, { timeout: 5_000, polling: 100 });
    const header = await page.locator('#results-table tr').first().locator('th').allTextContents();
    assert.deepEqual(header, ['model (technique)', 'English (en)', 'Arabic (ar)', 'German (de)', 'Spanish (es)', 'French (fr)', 'Chinese (zh)']);
    assert.doesNotMatch((await page.locator('#results-table').textContent()) ?? '', /running/, 'a finished run is not shown as running');
    const cells = page.locator('#results-table tr[data-run] td[data-language]');
    assert.equal(await cells.count(), 6);
    const en = Number(await page.locator('#results-table td[data-language="en"] .accuracy').textContent());
    const de = Number(await page.locator('#results-table td[data-language="de"] .accuracy').textContent());
    const gap = (await page.locator('#results-table td[data-language="de"] .gap').textContent()) ?? '';
    assert.ok(en > 0 && en <= 100);
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
    assert.match(csvText, /\n\.\/demo\/model,fine-tune,model-fine-tune-1,FINISHED,0\.\d{4},,/);
    const png = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download “Accuracy per language” as PNG' }).click();
    assert.equal((await png).suggestedFilename(), 'chart-accuracy.png');

    // One list of runs: this one, finished, with a unique name and its checkpoint.
    await page.waitForFunction(() => /model-fine-tune-1\s*finished/.test(document.querySelector('#runs-table')?.textContent ?? ''), null, { timeout: 60_000, polling: 250 });

    // Training ran off the main thread: the window itself fetched no wasm while it trained.
    const windowWasm = await page.evaluate(([from, to]) => performance.getEntriesByType('resource')
      .filter((e) => e.startTime >= from && e.startTime <= to && /\.wasm(\?|$)/.test(e.name)).map((e) => e.name), [t0, t1]);
    assert.deepEqual(windowWasm, []);
    const longTasks = await page.evaluate(([from, to]) => (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks.filter((t) => t.start >= from && t.start <= to), [t0, t1]);
    console.log(`# main-thread tasks over 50 ms while training: ${longTasks.length}, longest ${Math.max(0, ...longTasks.map((t) => t.duration)).toFixed(0)} ms`);
    await screenshot(page, 'app-results');

    // Playground: the model just trained, the demo's own example pairs (in its vocabulary), bars per label.
    assert.match(await page.locator('#predict-source option:checked').textContent() ?? '', /trained here, step \d+/);
    await page.getByRole('button', { name: 'Example (de)' }).click();
    const premise = await page.getByLabel('Premise').inputValue();
    assert.ok(premise.length > 0);
    await page.getByRole('button', { name: 'Predict' }).click();
    await page.waitForFunction(() => ['ready', 'error'].includes(document.querySelector('#predict-status')?.getAttribute('data-state') ?? '') && !!document.querySelector('#predict-status')?.textContent, null, { timeout: 60_000 });
    assert.equal(await page.getAttribute('#predict-status', 'data-state'), 'ready', (await page.textContent('#predict-status')) ?? '');
    const probabilities = (await page.locator('#predict-result [data-probability]').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-probability')))));
    assert.equal(probabilities.length, 3);
    assert.ok(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-3);
    assert.equal(await page.locator('#predict-result .bar').count(), 3);
    assert.equal(await page.locator('#predict-words').isHidden(), true, `the demo's example uses only its vocabulary: ${await page.locator('#predict-words').textContent()}`);
    await page.getByLabel('Hypothesis').fill('Zebras juggle quantum pianos.');
    await page.getByRole('button', { name: 'Predict' }).click();
    await page.locator('#predict-words mark').first().waitFor({ timeout: 30_000 });
    assert.match((await page.locator('#predict-words').textContent()) ?? '', /does not know[\s\S]*Zebras/);
    await screenshot(page, 'app-playground');
    assert.deepEqual(errors.list(), []);
  } finally {
    await close();
  }
});

test('a reload mid-run: the first screen offers Resume, and the resumed run streams into the same live view, results and playground', async () => {
  const { page, errors, close } = await openApp();
  try {
    await setUpOfflineDemo(page, 60, 10);
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.waitForFunction(() => /\b(10|20|30) \(/.test(document.querySelector('#runs-table')?.textContent ?? ''), null, { timeout: 120_000, polling: 250 }).catch(async (e) => { throw new Error(`${e.message}: ${await page.locator('#runs-table').textContent()} | ${await page.locator('#training-status').textContent()} | ${await page.locator('#training-phase').textContent()}`); });
    await page.reload();
    const banner = page.getByRole('region', { name: 'Interrupted run' });
    await banner.waitFor({ timeout: 30_000 });
    assert.match((await banner.textContent()) ?? '', /interrupted at step \d+ of 60/);
    assert.ok(await inViewport(page, '#resume-interrupted'), 'Resume is on the first screen');
    // The run is back in the list, with its history.
    await page.waitForFunction(() => /model-fine-tune-1\s*interrupted/.test(document.querySelector('#runs-table')?.textContent ?? ''), null, { timeout: 10_000, polling: 100 });
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await page.waitForFunction(() => document.activeElement?.id === 'training-heading', null, { timeout: 5_000, polling: 50 });
    await page.waitForFunction(() => Number(document.querySelector('#training-phase')?.getAttribute('data-done') ?? 0) > 0, null, { timeout: 120_000, polling: 250 });
    await waitForEnd(page);
    assert.equal(await trainingState(page), 'ready', (await page.textContent('#training-status')) ?? '');
    // The history was cut back to the checkpoint, then went on: each logged step once (12 losses at 5, 10, ... 60).
    await page.waitForFunction(() => Number(document.querySelector('figure:has(#chart-loss)')?.getAttribute('data-points')) === 12, null, { timeout: 30_000, polling: 250 })
      .catch(async () => assert.fail(`loss points: ${await page.locator('figure:has(#chart-loss)').getAttribute('data-points')}; ${await page.evaluate(() => document.querySelector('#runs-table')?.textContent)}`));
    assert.equal(await page.locator('#results-table tr[data-run] td[data-language]').count(), 6);
    await page.waitForFunction(() => /model-fine-tune-1\s*finished/.test(document.querySelector('#runs-table')?.textContent ?? ''), null, { timeout: 10_000, polling: 100 });
    assert.match(await page.locator('#predict-source option:checked').textContent() ?? '', /model-fine-tune-1 \(trained here, step 60\)/);
    assert.equal(await banner.isHidden(), true);
    assert.deepEqual(errors.list(), []);
  } finally {
    await close();
  }
});

test('Stop ends a run cleanly: status killed, checkpoint kept for the playground; the progress line keeps its width', async () => {
  const { page, errors, close } = await openApp();
  try {
    await setUpOfflineDemo(page, -1);
    // Long enough that Stop comes first.
    await page.locator('#setup-training > summary').click();
    await page.getByLabel('Epochs', { exact: true }).fill('50');
    await page.keyboard.press('Tab');
    await page.getByRole('button', { name: 'Start training' }).click();
    // The panel reports the training rate (data-rate) once training has run for a moment; evaluations every
    // few steps do not restart its window. The line under it then says the rate and the time left.
    await page.waitForFunction(() => !!document.querySelector('#training-phase')?.hasAttribute('data-rate') && /Training: \s*\d+ \/ \d+ steps/.test(document.querySelector('#training-phase')?.textContent ?? ''), null, { timeout: 120_000, polling: 250 });
    const widths = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const text = (await page.locator('#training-phase').textContent()) ?? '';
      if (/Training:/.test(text)) widths.add(text.length);
      await page.waitForTimeout(250);
    }
    assert.match((await page.locator('#training-pace').textContent()) ?? '', /steps\/s · about .+ left/);
    assert.equal(widths.size, 1, `the progress line's length changed: ${[...widths]}`);
    await page.getByRole('button', { name: 'Stop' }).click();
    await waitForEnd(page, 120_000);
    assert.equal(await trainingState(page), 'warning', (await page.textContent('#training-status')) ?? '');
    assert.match((await page.textContent('#training-status')) ?? '', /Stopped after .*checkpoint is kept/);
    await page.waitForFunction(() => /stopped/.test(document.querySelector('#runs-table')?.textContent ?? ''), null, { timeout: 60_000, polling: 250 });
    assert.match(await page.locator('#predict-source option:checked').textContent() ?? '', /trained here, step \d+/);
    assert.deepEqual(errors.list(), []);
  } finally {
    await close();
  }
});

test('a phone (390x844): no sideways scrolling, Start on the first screen, tables scroll inside themselves', async () => {
  const { page, errors, close } = await openApp('', { viewport: PHONE });
  try {
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.equal(await overflow(), 0, 'the page scrolls sideways');
    assert.ok(await inViewport(page, '#start-training'), 'Start is on the first screen');
    await setUpOfflineDemo(page, 10);
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.waitForFunction(() => document.activeElement?.id === 'training-heading', null, { timeout: 1_000, polling: 50 });
    assert.ok(await inViewport(page, '#training-progress'), 'the live view comes on screen');
    await waitForEnd(page);
    await page.locator('#results-table td[data-language="zh"]').waitFor({ state: 'attached', timeout: 30_000 });
    assert.equal(await overflow(), 0, 'results, runs and plan tables widen the page');
    await screenshot(page, 'app-phone');
    assert.deepEqual(errors.list(), []);
  } finally {
    await close();
  }
});

test('a shared link fills the form, and the form writes its set-up back into the link', async () => {
  const { page, errors, close } = await openApp('?technique=feature-extraction&model-names=./demo/model&data=demo&eval-datasets-names=en,de&batch-size=16&seed=5&learning-rate=0.001&max-steps=20&backend=wasm');
  try {
    assert.equal(await page.getByLabel('feature-extraction (only the classifier head trains)').isChecked(), true);
    assert.match((await page.locator('#technique-note').textContent()) ?? '', /stays near chance/, 'why feature-extraction of the demo model stays at chance');
    assert.equal(await page.getByLabel('Demo model (embedded, 0.1M parameters)').isChecked(), true);
    assert.equal(await page.getByLabel('google-bert/bert-base-multilingual-cased').isChecked(), false);
    assert.equal(await page.getByLabel('English (en)', { exact: true }).isChecked(), true);
    assert.equal(await page.getByLabel('German (de)', { exact: true }).isChecked(), true);
    assert.equal(await page.getByLabel('French (fr)', { exact: true }).isChecked(), false);
    assert.equal(await page.getByLabel('Batch size').inputValue(), '16');
    assert.equal(await page.getByLabel('Seed').inputValue(), '5');
    assert.equal(await page.getByLabel('Learning rate', { exact: true }).inputValue(), '0.001');
    assert.equal(await page.getByLabel('Data', { exact: true }).inputValue(), 'demo');
    assert.equal(await page.getByLabel('Training backend').inputValue(), 'wasm');
    assert.equal(await page.locator('[aria-invalid="true"]').count(), 0);
    await page.getByLabel('French (fr)', { exact: true }).check();
    await openAdvanced(page);
    await page.getByLabel('Seed').fill('9');
    await page.getByLabel('Seed').press('Tab');
    const query = new URL(page.url()).searchParams;
    assert.equal(query.get('eval-datasets-names'), 'de,en,fr');
    assert.equal(query.get('seed'), '9');
    assert.equal(query.get('technique'), 'feature-extraction');
    assert.equal(query.get('data'), 'demo');
    // A value equal to the reference's default leaves the link, and the reloaded link still means it.
    await page.locator('#setup-training > summary').click();
    await page.getByLabel('Batch size').fill('8');
    await page.getByLabel('Batch size').press('Tab');
    assert.equal(new URL(page.url()).searchParams.has('batch-size'), false);
    await page.reload();
    await page.getByLabel('Seed').waitFor({ state: 'attached' });
    assert.equal(await page.getByLabel('Batch size').inputValue(), '8');
    assert.equal(await page.getByLabel('Seed').inputValue(), '9');
    assert.equal(await page.getByLabel('French (fr)', { exact: true }).isChecked(), true);
    assert.deepEqual(errors.list(), []);
  } finally {
    await close();
  }
});

test('a link\'s bad values are each marked on their field the same way, which keeps a usable value', async () => {
  const { page, close } = await openApp('?technique=transfer&batch-size=abc&data=demo&eval-datasets-names=en,de,xx&num-train-epochs=-2&learning-rate=5&backend=quantum&colour=blue&model-names=./demo/model');
  try {
    const marked = async (selector: string, pattern: RegExp) => {
      const control = page.locator(selector);
      assert.equal(await control.getAttribute('aria-invalid'), 'true', `${selector} is marked`);
      const described = (await control.getAttribute('aria-describedby')) ?? '';
      const id = described.split(' ').find((d) => d.startsWith('error-'));
      assert.ok(id, `${selector} is described by its error`);
      assert.match((await page.locator(`#${id}`).textContent()) ?? '', pattern);
    };
    await marked('#setup-technique', /technique=transfer: must be fine-tune or feature-extraction/);
    await marked('#setup-batchSize', /batch-size=abc: not an integer; the form keeps 8/);
    await marked('#setup-languages', /offline demo has no xx data/);
    await marked('#setup-numTrainEpochs', /number of epochs must be positive, got -2; the form keeps/);
    await marked('#setup-learningRate', /learning rate must be in \(0, 1\), got 5; the form keeps/);
    await marked('#setup-backend', /backend=quantum: must be one of/);
    assert.match((await page.locator('#setup-link-issues').textContent()) ?? '', /colour=blue: unknown setting/);
    // The form keeps usable values: the data stays the demo's, the backend box is still there, and Start works.
    assert.equal(await page.getByLabel('Data', { exact: true }).inputValue(), 'demo');
    assert.equal(await page.getByLabel('Training backend').inputValue(), 'auto');
    assert.notEqual(await page.getByLabel('Epochs', { exact: true }).inputValue(), '-2');
    assert.match((await page.locator('#backend-status').textContent()) ?? '', /^Training runs on/);
    assert.equal(await page.getByRole('button', { name: 'Start training' }).isEnabled(), true);
    // Changing a field clears its mark.
    await page.getByLabel('feature-extraction (only the classifier head trains)').check();
    assert.equal(await page.locator('#setup-technique').getAttribute('aria-invalid'), null);
    await screenshot(page, 'app-link-errors');
  } finally {
    await close();
  }
});

test('a set-up that cannot run fails early: each source says why, Start is disabled with the reason and offers the offline demo', async () => {
  const { page, close } = await openApp('?technique=fine-tune&model-names=FacebookAI/xlm-roberta-base&eval-datasets-names=en,de&hub-endpoint=http://127.0.0.1:9');
  try {
    await page.waitForFunction(() => (document.querySelector('#start-training') as HTMLButtonElement).disabled, null, { timeout: 60_000, polling: 250 });
    const reason = (await page.locator('#start-reason').textContent()) ?? '';
    assert.match(reason, /cannot train[\s\S]*cannot be reached/, reason);
    assert.match((await page.locator('.model-row', { hasText: 'FacebookAI/xlm-roberta-base' }).textContent()) ?? '', /unreachable: /);
    await page.getByRole('button', { name: 'Use the offline demo instead' }).click();
    await page.waitForFunction(() => !(document.querySelector('#start-training') as HTMLButtonElement).disabled, null, { timeout: 30_000, polling: 250 });
    assert.equal(await page.getByRole('button', { name: 'Offline demo' }).getAttribute('aria-pressed'), 'true');
  } finally {
    await close();
  }
});

test('a model too large for WASM memory is said before Start, beside it, with what would fit', async () => {
  // Only mBERT's config.json: the plan sizes the run from it.
  const root = await mkdtemp(join(tmpdir(), 'xnli-wasm-fit-'));
  const repo = join(root, 'google-bert/bert-base-multilingual-cased');
  await mkdir(repo, { recursive: true });
  await writeFile(join(repo, 'config.json'), JSON.stringify({ ...REFERENCE_SHAPES['bert-base-multilingual-cased'], architectures: ['BertForSequenceClassification'] }));
  const hub = await startHubServer(root, { serveApp: true });
  const context = await browser.newContext({ viewport: PROJECTOR });
  try {
    const page = await context.newPage();
    await page.goto(`${hub.url}/?technique=fine-tune&model-names=google-bert/bert-base-multilingual-cased&data=demo&eval-datasets-names=en,de&hub-endpoint=${encodeURIComponent(hub.url)}&backend=wasm`);
    await page.waitForFunction(() => (document.querySelector('#start-training') as HTMLButtonElement).disabled, null, { timeout: 60_000, polling: 250 });
    const state = (await page.locator('.model-row', { hasText: 'bert-base-multilingual-cased' }).first().textContent()) ?? '';
    assert.match(state, /does not fit: fine-tuning google-bert\/bert-base-multilingual-cased .* on WASM needs about [\d.]+ GiB .* use feature-extraction/, state);
    assert.match((await page.locator('#start-reason').textContent()) ?? '', /does not fit in WASM memory/);
    await page.getByLabel('feature-extraction (only the classifier head trains)').check();
    await page.waitForFunction(() => !/does not fit/.test(document.querySelector('#start-reason')?.textContent ?? ''), null, { timeout: 30_000, polling: 250 });
  } finally {
    await context.close();
    await hub.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('without WebGPU the first screen says where training runs instead, and why', async () => {
  const { page, close } = await openApp('', { hideWebGPU: true });
  try {
    await page.waitForFunction(() => document.querySelector('#backend-status')?.textContent?.startsWith('Training runs on'), null, { timeout: 30_000 });
    assert.match((await page.locator('#backend-status').textContent()) ?? '', /Training runs on WASM on \d+ CPU threads?: WebGL here is a software renderer .*; WebGPU is not available \(navigator\.gpu is missing/);
  } finally {
    await close();
  }
});
