export const CHROMIUM_CANDIDATES: string[];
/** Path of an installed Chromium, or undefined. */
export function findChromium(): string | undefined;
/** Path of Chromium, installing Debian's package when root with apt; throws with a one-line instruction otherwise. */
export function ensureChromium(): string;
