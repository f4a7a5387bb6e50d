// The page's local files and Hub token, driven as a user would: a picked model folder and picked XNLI parquet
// files train on wasm with nothing from the Hub; a folder without a model is refused with what it lacks; the
// token typed in the page stays out of the link, and out of localStorage unless "Remember on this device" is ticked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer } from '../support/hub-server.ts';
import { collectPageErrors, useHubAndBrowser } from '../support/browser.ts';

const DEMO = resolve(import.meta.dirname, '../../public/demo');
let server: RunningServer;
let browser: Browser;

useHubAndBrowser((hub, chromium) => ((server = hub), (browser = chromium)));

async function openApp(page: Page, query = '') {
  await page.goto(`${server.url}/${query}`);
  await page.waitForFunction(() => document.querySelector('#backend-status')?.getAttribute('data-state') !== 'starting', null, { timeout: 60_000 });
  await page.locator('#setup-advanced > summary').click();
  await page.locator('#setup-training > summary').click();
}

const localStorageValues = (page: Page) => page.evaluate(() => Object.keys(localStorage).map((k) => `${k}=${localStorage.getItem(k)}`).join('\n'));

test('a picked model folder and picked parquet files train on wasm, with nothing from the Hub', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  try {
    await openApp(page);
    // A folder without a model is refused, naming what it lacks.
    await page.getByLabel('Local model folder').setInputFiles(resolve(DEMO, 'xnli/en'));
    await page.waitForSelector('#setup-model-folder-error:not([hidden])');
    assert.match((await page.textContent('#setup-model-folder-error')) ?? '', /"en" has no config\.json, model\.safetensors, tokenizer\.json/);

    await page.getByLabel('Demo model (embedded, 0.1M parameters)').uncheck();
    await page.getByLabel('Local model folder').setInputFiles(resolve(DEMO, 'model'));
    assert.equal(await page.getByLabel('local:model (picked folder)').isChecked(), true);
    for (const language of ['French (fr)', 'Spanish (es)', 'Arabic (ar)', 'Chinese (zh)']) await page.getByLabel(language, { exact: true }).uncheck();
    await page.getByLabel('Data', { exact: true }).selectOption('local');
    await page.getByLabel('Training file (English)').setInputFiles(resolve(DEMO, 'xnli/en/train.parquet'));
    await page.getByLabel('Evaluation file (English (en))').setInputFiles(resolve(DEMO, 'xnli/en/validation.parquet'));
    await page.getByLabel('Evaluation file (German (de))').setInputFiles(resolve(DEMO, 'xnli/de/validation.parquet'));
    assert.equal(await page.getByLabel('Evaluation file (French (fr))').isVisible(), false, 'only checked languages ask for a file');
    await page.getByLabel('Training backend').selectOption('wasm');
    await page.getByLabel('Stop after (steps)').fill('10');
    await page.getByLabel('Log loss every (steps)').fill('5');
    await page.getByLabel('Evaluate every (steps)').fill('5');
    await page.getByLabel('Evaluate every (steps)').press('Tab');
    assert.doesNotMatch(page.url(), /local/, 'picked files cannot travel in a link');

    // The plan sizes the picked files from the files themselves.
    await page.waitForFunction(() => /local:model: model\.safetensors/.test(document.querySelector('#plan-downloads')?.textContent ?? '') && document.querySelector('#plan-status')?.getAttribute('data-state') !== 'working', null, { timeout: 30_000, polling: 250 });
    assert.doesNotMatch((await page.textContent('#plan-downloads')) ?? '', /unknown/);

    await page.getByRole('button', { name: 'Start training' }).click();
    assert.equal(await page.locator('[aria-invalid="true"]').count(), 0, (await page.textContent('#start-reason')) ?? '');
    await page.waitForFunction(() => ['ready', 'warning', 'error'].includes(document.querySelector('#training-status')?.getAttribute('data-state') ?? ''), null, { timeout: 180_000, polling: 250 });
    const status = (await page.textContent('#training-status')) ?? '';
    assert.equal(await page.getAttribute('#training-status', 'data-state'), 'ready', `${status} | ${errors.join(' | ')}`);
    assert.match(status, /Finished 1 run/);
    const log = (await page.textContent('#training-log')) ?? '';
    assert.match(log, /training on \d+ of \d+ examples/);
    assert.match(log, /train\.parquet/);
    // Both languages were evaluated from the picked files: the results have an accuracy for each.
    await page.waitForSelector('#results-table td[data-language="de"] .accuracy', { timeout: 60_000 });
    assert.deepEqual(await page.locator('#results-table tr').first().locator('th').allTextContents(), ['model (technique)', 'English (en)', 'German (de)']);
    for (const language of ['en', 'de']) {
      const accuracy = Number(await page.locator(`#results-table td[data-language="${language}"] .accuracy`).textContent());
      assert.ok(accuracy > 0 && accuracy <= 100, `${language}: ${accuracy}`);
    }
    assert.match((await page.textContent('#results-table')) ?? '', /local:model/);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('the Hub token stays out of the link, and out of localStorage unless "Remember on this device" is ticked', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const secret = 'hf_TestTokenNotForLinks0123456789';
  try {
    await openApp(page);
    // The Hub's fields show once something comes from the Hub.
    await page.getByLabel('Data', { exact: true }).selectOption('xnli');
    const tokenField = page.getByLabel('Hugging Face token');
    assert.equal(await tokenField.getAttribute('type'), 'password');
    assert.equal(await tokenField.getAttribute('autocomplete'), 'off');
    await tokenField.fill(secret);
    await page.getByLabel('Revision (branch, tag or commit)').fill('v1.0');
    await page.getByLabel('Revision (branch, tag or commit)').press('Tab');
    await page.waitForFunction(() => location.search.includes('revision=v1.0'));
    assert.doesNotMatch(page.url(), new RegExp(secret));
    assert.doesNotMatch(await localStorageValues(page), new RegExp(secret));

    await page.getByLabel('Remember on this device').check();
    assert.match(await localStorageValues(page), new RegExp(secret));
    await page.reload();
    await page.waitForSelector('#setup-token', { state: 'attached' });
    await page.locator('#setup-advanced > summary').click();
    assert.equal(await page.getByLabel('Hugging Face token').inputValue(), secret, 'a remembered token comes back');
    assert.equal(await page.getByLabel('Revision (branch, tag or commit)').inputValue(), 'v1.0', 'the revision travels in the link');
    assert.doesNotMatch(page.url(), new RegExp(secret));

    await page.getByLabel('Remember on this device').uncheck();
    assert.doesNotMatch(await localStorageValues(page), new RegExp(secret), 'unticking forgets it on this device');
    assert.equal(await page.getByLabel('Hugging Face token').inputValue(), secret, 'but the page keeps it until it closes');
  } finally {
    await context.close();
  }
});
