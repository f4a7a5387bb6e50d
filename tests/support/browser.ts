import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../cli/browser.ts';
import { staleBuildReason } from '../../cli/app-build.ts';

export { openRunnerPage } from '../../cli/browser.ts';

/** Headless Chromium with the CLI's flags; fails with a clear message when the app was not built first. */
export async function launchTestBrowser(): Promise<Browser> {
  const stale = staleBuildReason();
  if (stale === 'dist/ has no build of the app') throw new Error('browser tests need the built app: run "npm test" (or "npx vite build" first)');
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
