import { after, before } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startHubServer, type RunningServer } from './hub-server.ts';
import { ensureHubFixtures } from '../fixtures/write-fixtures.ts';
import { launchChromium } from '../../cli/browser.ts';
import { ensureBuiltApp } from '../../cli/app-build.ts';

export { openRunnerPage } from '../../cli/browser.ts';

/** Headless Chromium with the CLI's flags, after (re)building dist/ when it is missing or older than the sources. */
export async function launchTestBrowser(): Promise<Browser> {
  await ensureBuiltApp((line) => console.log(`# ${line}`));
  return launchChromium();
}

/** Collects a page's console errors and uncaught exceptions, for assertions and failure messages. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/**
 * The set-up most browser test files share: the Hub-like server on the test fixtures and one headless Chromium,
 * started before the file's tests and closed after them; `ready` receives both.
 */
export function useHubAndBrowser(ready: (server: RunningServer, browser: Browser) => void): void {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  before(async () => {
    server = await startHubServer(await ensureHubFixtures());
    browser = await launchTestBrowser();
    ready(server, browser);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
}
