import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { actionFor } from './commands/action';
import { taskTypesCommand, usageCommand } from './commands/catalog';
import { deadLettersCommand } from './commands/dead-letters';
import { queuesCommand, workersCommand } from './commands/operations';
import { profileCommand } from './commands/profile';
import { schedulesCommand } from './commands/schedules';
import { tasksCommand } from './commands/tasks';
import type { Io } from './context';
import { EXIT, EXIT_CODES_HELP, exitCodeOf } from './exit-codes';
import { Output } from './output';
import { printError } from './print-error';

const ENVIRONMENT_HELP = `Environment:
  CONVEYOR_BASE_URL, CONVEYOR_API_KEY, CONVEYOR_PROFILE   used when the flag is not given
  CONVEYOR_CONFIG                                         the profiles file (see: conveyor profile --help)`;

const VERSION = (JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

/** The whole command tree; `io` is where it writes. */
function buildProgram(io: Io): Command {
  const action = actionFor(io);
  const program = new Command('conveyor')
    .description('The Conveyor command line: submit and follow tasks, manage schedules, usage and dead letters, see queues and workers')
    .option('--profile <name>', 'use this profile (default: $CONVEYOR_PROFILE, else the current one)')
    .option('--base-url <url>', 'the server, e.g. http://127.0.0.1:3000 (default: $CONVEYOR_BASE_URL, else the profile)')
    .option('--api-key <key>', 'the API key (default: $CONVEYOR_API_KEY, else the profile); prefer a profile: flags show in ps')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--json', 'print machine-readable JSON on stdout (progress and messages stay on stderr)')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showSuggestionAfterError()
    .exitOverride();
  program.addCommand(tasksCommand(action));
  program.addCommand(schedulesCommand(action));
  program.addCommand(usageCommand(action));
  program.addCommand(deadLettersCommand(action));
  program.addCommand(queuesCommand(action));
  program.addCommand(workersCommand(action));
  program.addCommand(taskTypesCommand(action));
  program.addCommand(profileCommand(action));
  // addCommand() does not pass settings down as .command() does: the help's layout, where
  // commander writes, and throwing instead of exiting apply to every command.
  inheritSettings(program);
  // afterAll: shown after the help of this command and of every command under it.
  program.addHelpText('afterAll', `\n${ENVIRONMENT_HELP}\n\n${EXIT_CODES_HELP}`);
  return program;
}

function inheritSettings(command: Command): void {
  for (const sub of command.commands) {
    sub.copyInheritedSettings(command);
    inheritSettings(sub);
  }
}

/** Runs one command line and answers its exit code (it never throws). */
export async function run(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed the help or the problem already.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const code = exitCodeOf(error);
    const out = new Output(argv.includes('--json'), io.stdout, io.stderr, io.secrets);
    for (const key of [apiKeyIn(argv), io.env.CONVEYOR_API_KEY]) if (key) out.hide(key);
    printError(out, error, code);
    return code;
  }
}

/** The --api-key flag's value, to keep it out of an error message. */
function apiKeyIn(argv: string[]): string | undefined {
  const at = argv.findIndex((a) => a === '--api-key' || a.startsWith('--api-key='));
  if (at < 0) return undefined;
  return argv[at]!.includes('=') ? argv[at]!.slice('--api-key='.length) : argv[at + 1];
}
