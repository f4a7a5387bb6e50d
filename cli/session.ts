// One CLI session: the app server and a headless Chromium whose profile persists, so that downloads cached in
// the page's origin private file system (OPFS) are there again for the next run, as they are for a browser user.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { findChromium } from '../scripts/ensure-chromium.mjs';
import { CHROMIUM_ARGS } from './browser.ts';
import { secretCookieName, startHubLikeServer, type HubLikeServerOptions, type RunningServer } from './hub-like-server.ts';

/** The cache's origin is http://127.0.0.1:<this port>: a fixed port keeps it the same origin from run to run. */
export const CLI_APP_PORT = Number(process.env.XNLI_TRAIN_PORT || 41735);

/** Where the CLI's browser profile (and with it the download cache) lives. */
export function cacheDir(): string {
  if (process.env.XNLI_TRAIN_CACHE) return process.env.XNLI_TRAIN_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'xnli-browser-trainer');
}

/** The CLI's server: its address and the per-run secret its own page must present. */
export interface AppServer extends RunningServer {
  secret: string;
}

/**
 * The app server on the fixed port, serving its own page only (see HubLikeServerOptions.ownPageOnly); when
 * another run holds the port, a free port (that run keeps the shared cache, this one downloads afresh).
 */
export async function startAppServer(options: Omit<HubLikeServerOptions, 'ownPageOnly' | 'port'>, warn: (line: string) => void): Promise<AppServer> {
  const secret = randomBytes(32).toString('base64url');
  const locked = { ...options, ownPageOnly: { secret } };
  try {
    return { ...(await startHubLikeServer({ ...locked, port: CLI_APP_PORT })), secret };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    warn(`port ${CLI_APP_PORT} is busy (another xnli-train running?): this run does not share the download cache`);
    return { ...(await startHubLikeServer({ ...locked, port: 0 })), secret };
  }
}

/** Gives the CLI's browser the server's secret, as a cookie no other site's page is sent or can read. */
export async function admitToAppServer(context: BrowserContext, server: AppServer): Promise<void> {
  await context.addCookies([{ name: secretCookieName(server.port), value: server.secret, url: server.url, httpOnly: true, sameSite: 'Strict' }]);
}

/** Headless Chromium on the persistent profile; a fresh temporary one when another run holds the profile. */
export async function launchCliBrowser(warn: (line: string) => void): Promise<BrowserContext> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new Error('Chromium not found: install Debian\'s "chromium" package (sudo apt-get install chromium) or set CHROMIUM_PATH');
  }
  const options = { executablePath, headless: true, args: CHROMIUM_ARGS };
  const profile = join(cacheDir(), 'chromium-profile');
  try {
    await mkdir(profile, { recursive: true });
    return await chromium.launchPersistentContext(profile, options);
  } catch (error) {
    warn(`could not open the browser profile ${profile} (${(error as Error).message.split('\n')[0]}): using a temporary one, without the download cache`);
    const browser = await chromium.launch(options);
    const context = await browser.newContext();
    context.on('close', () => void browser.close());
    return context;
  }
}
