import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { findChromium } from '../scripts/ensure-chromium.mjs';

/** Flags for headless Chromium: WebGPU on (SwiftShader where there is no GPU), no network chatter. */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new Error('Chromium not found: install Debian\'s "chromium" package (sudo apt-get install chromium) or set CHROMIUM_PATH');
  }
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}

export interface RunnerPageOptions {
  /** Called with the page's progress lines (window.xnliReportProgress). */
  onProgress?: (line: string) => void;
  /** Called with the page's console errors and uncaught exceptions. */
  onConsoleError?: (line: string) => void;
}

/** Opens `<appUrl>/runner.html` and waits until `window.xnliRunner` is installed. */
export async function openRunnerPage(browser: Browser | BrowserContext, appUrl: string, options: RunnerPageOptions = {}): Promise<Page> {
  const page = await browser.newPage();
  if (options.onProgress) await page.exposeFunction('xnliReportProgress', options.onProgress);
  if (options.onConsoleError) {
    const forward = options.onConsoleError;
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') forward(`[browser ${message.type()}] ${message.text()}`);
    });
    page.on('pageerror', (error) => forward(`[browser exception] ${error.message}`));
  }
  await page.goto(`${appUrl}/runner.html`);
  await page.waitForFunction(() => document.documentElement.dataset.runnerReady === 'true', null, { timeout: 30_000 });
  return page;
}
