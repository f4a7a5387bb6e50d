import type { Browser, Page } from 'playwright-core';
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
