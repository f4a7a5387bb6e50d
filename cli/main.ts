import { EXIT_RUNTIME, EXIT_USAGE, UsageError, oneLine } from './errors.ts';
import { runPredict } from './predict-command.ts';
import { runTrain } from './train-command.ts';

export const USAGE = `Usage: xnli-train <command> [options]

Commands:
  fine-tune            train every weight of the models on English XNLI, evaluate on other languages
  feature-extraction   train only the classification head (the encoder stays frozen)
  predict              classify sentence pairs from a JSONL file with a model from the Hub or a local folder

With no command at all (or "demo"), trains the embedded offline demo (see the README).

Run "xnli-train <command> --help" for a command's options.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  predict: runPredict,
  'fine-tune': (argv) => runTrain(['fine-tune', ...argv]),
  'feature-extraction': (argv) => runTrain(['feature-extraction', ...argv]),
  demo: () => runTrain([]),
};

/** Runs the command line and returns the exit code: 0 done, 1 runtime failure, 2 usage error. */
export async function main(argv: string[]): Promise<number> {
  const [command = 'demo', ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
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
