// Finds the Chromium the browser tests drive; installs Debian's package where we are root with apt.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

export const CHROMIUM_CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);

export function findChromium() {
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}

export function ensureChromium() {
  const found = findChromium();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.log('chromium not found: installing Debian\'s chromium package (apt-get install chromium)...');
    execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit' });
    const installed = findChromium();
    if (installed) return installed;
  }
  throw new Error('Chromium is needed for the browser tests: install Debian\'s "chromium" package (sudo apt-get install chromium) or set CHROMIUM_PATH.');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(ensureChromium());
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
