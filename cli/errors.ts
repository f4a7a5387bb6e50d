/** The user called the command wrongly (unknown flag, bad value, unreadable input): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/** The first line of an error, without the "page.evaluate: Error: " prefixes Playwright adds. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n').find((line) => line.trim() !== '') ?? message;
  return first.replace(/^(page\.evaluate|page\.goto|browserType\.launch): /, '').replace(/^(Uncaught )?([A-Z]\w*)?Error: /, '').trim();
}
