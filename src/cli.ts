import { UsageError, type CliCommand, type CliContext } from './core/cli-kit.js';
import { AppError } from './core/errors.js';
import { ConfigError } from './platform/config.js';
import { commands as platform } from './platform/cli.js';
import { commands as importers } from './incidents/import/cli.js';
import { commands as measure } from './measure/cli.js';
import { commands as outages } from './outages/cli.js';
import { runOnServer, serverFor } from './ops/remote.js';
import { commands as ledger } from './ledger/cli.js';
import { commands as publish } from './publish/cli.js';
import { commands as desk } from './desk/cli.js';

/** Every `stackwatch` sub-command, from each wing. */
export const allCommands: CliCommand[] = [...platform, ...importers, ...measure, ...outages, ...ledger, ...publish, ...desk];

function help(): string {
  const lines = allCommands.map((c) => `  ${c.path.join(' ').padEnd(26)} ${c.summary}`);
  return `Stackwatch — see and answer attacks on the open internet.\n\nUsage: stackwatch <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "stackwatch <command> --help" for a command's options.\n`;
}

export async function main(argv: string[], ctx: CliContext = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  if (!argv.length || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    ctx.stdout.write(help());
    return 0;
  }
  // The longest command path that matches the words given.
  const match = allCommands
    .filter((c) => c.path.every((w, i) => argv[i] === w))
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (!match) {
    ctx.stderr.write(`Unknown command: ${argv.slice(0, 2).join(' ')}\n\n${help()}`);
    return 2;
  }
  const rest = argv.slice(match.path.length);
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.stdout.write(`${match.summary}\n\nUsage: ${match.usage}\n`);
    return 0;
  }
  // A server holds the embedded database: it runs the command and this process relays its output (src/ops/remote.ts).
  const server = serverFor(argv, ctx.env);
  if (server) return runOnServer(server, argv, ctx);
  try {
    return await match.run(rest, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      ctx.stderr.write(`stackwatch ${match.path.join(' ')}: ${e.message}\nUsage: ${match.usage}\n`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof AppError) {
      ctx.stderr.write(`stackwatch ${match.path.join(' ')}: ${e.message}\n`);
      return 1;
    }
    if ((e as { name?: string }).name === 'ZodError') {
      ctx.stderr.write(`stackwatch ${match.path.join(' ')}: invalid input: ${(e as Error).message}\n`);
      return 2;
    }
    const errno = e as NodeJS.ErrnoException;
    if (typeof errno?.code === 'string' && typeof errno.syscall === 'string') {
      // A file or system error (unwritable path, full disk): say what failed, without a stack trace.
      ctx.stderr.write(`stackwatch ${match.path.join(' ')}: ${errno.code}: ${errno.message}\n`);
      return 1;
    }
    throw e;
  }
}
