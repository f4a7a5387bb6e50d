import { resolve } from 'node:path';
import { startHubLikeServer, type RunningServer } from '../../cli/hub-like-server.ts';

export type { RunningServer } from '../../cli/hub-like-server.ts';

export const DIST_DIR = resolve(import.meta.dirname, '../../dist');

/**
 * A Hub stand-in for tests: `GET/HEAD /<org>/<name>/resolve/<revision>/<file>` from `<hubRoot>/<org>/<name>/`,
 * with Hub-like 404s, ranges and CORS, and the built app (`dist/`) at `/` so pages and models share one origin.
 */
export function startHubServer(hubRoot: string, options: { serveApp?: boolean } = {}): Promise<RunningServer> {
  return startHubLikeServer({ hubRoot, staticRoot: options.serveApp === false ? undefined : DIST_DIR });
}
