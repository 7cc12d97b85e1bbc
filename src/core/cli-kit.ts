import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Writable } from 'node:stream';

/** What a sub-command gets: its own argv (after the command words) and where to write. */
export interface CliContext {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

/** One `stackwatch <words...>` sub-command. Each wing exports a list of these from its `cli.ts`. */
export interface CliCommand {
  /** The command words, e.g. ['outages', 'detect']. */
  path: string[];
  summary: string;
  usage: string;
  run(argv: string[], ctx: CliContext): Promise<number>;
}

export class UsageError extends Error {}

/** parseArgs that turns unknown options into a UsageError naming the option. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A progress bar on a TTY, a line every few seconds otherwise; silent when `quiet`. */
export class Progress {
  private last = 0;
  private readonly tty: boolean;
  constructor(
    private readonly out: Writable,
    private readonly label: string,
    private total: number,
    private readonly quiet = false,
  ) {
    this.tty = Boolean((out as Writable & { isTTY?: boolean }).isTTY);
  }
  setTotal(total: number) {
    this.total = total;
  }
  update(done: number, extra = '') {
    if (this.quiet) return;
    const now = Date.now();
    if (now - this.last < (this.tty ? 100 : 2000) && done < this.total) return;
    this.last = now;
    const pct = this.total > 0 ? Math.min(1, done / this.total) : 0;
    const width = 30;
    const filled = Math.round(pct * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const line = `${this.label} ${bar} ${done}/${this.total} ${(pct * 100).toFixed(0)}%${extra ? ` ${extra}` : ''}`;
    this.out.write(this.tty ? `\r${line}` : `${line}\n`);
  }
  done() {
    if (!this.quiet && this.tty) this.out.write('\n');
  }
}

/** Renders rows as an aligned text table. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n') + '\n';
}
