import { EXIT_RUNTIME, EXIT_USAGE, UsageError, oneLine } from './errors.ts';
import { runPredict } from './predict-command.ts';

export const USAGE = `Usage: xnli-train <command> [options]

Commands:
  predict   classify sentence pairs from a JSONL file with a model from the Hub or a local folder

Run "xnli-train <command> --help" for a command's options.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  predict: runPredict,
};

/** Runs the command line and returns the exit code: 0 done, 1 runtime failure, 2 usage error. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? EXIT_USAGE : 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`xnli-train: unknown command "${command}": use one of ${Object.keys(COMMANDS).join(', ')} (see --help)\n`);
    return EXIT_USAGE;
  }
  try {
    await run(rest);
    return 0;
  } catch (error) {
    process.stderr.write(`xnli-train ${command}: ${oneLine(error)}\n`);
    return error instanceof UsageError ? EXIT_USAGE : EXIT_RUNTIME;
  }
}
