/**
 * The CLI beside a running server. The embedded database (PGlite) can be open in one process only, so while
 * `stackwatch serve` holds a data directory, a CLI command that needs the database hands its work to that server:
 *
 * - The server listens on a local Unix socket and writes `stackwatch-cli.json` (mode 0600) into its data directory:
 *   its pid, the socket's path and a random secret. Only the account that owns the data directory can read it.
 * - The CLI, finding the data directory locked by a live process that published that file, connects to the socket,
 *   sends the secret, the command words and options (file paths made absolute) and streams back stdout and stderr
 *   (progress bars included) and the exit code. The server runs the very same command with the database handle it
 *   already holds, so output, summaries and audit entries are the same as without a server.
 * - Nothing listens on the network: the socket is a file in the data directory (or in the temporary directory when the
 *   data directory's path is too long for a socket), readable and writable by its owner only.
 *
 * Without a running server, the CLI opens the database as before. On PostgreSQL (DATABASE_URL) every process may
 * connect, so nothing is sent anywhere.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { z } from 'zod';
import type { CliContext } from '../core/cli-kit.js';
import { runsOnLentDb, withLentDb, type Db } from '../platform/db.js';
import type { Logger } from '../platform/log.js';
import { audit } from '../platform/audit.js';
import { systemActor } from '../platform/auth.js';

export const CREDENTIAL_FILE = 'stackwatch-cli.json';

/** Commands a running server runs for the CLI: those that open the database. The others run where they are typed. */
export const REMOTE_COMMANDS = [
  'migrate',
  'user add',
  'user password',
  'token create',
  'export incidents',
  'import stop',
  'import ioda-outages',
  'measure import',
  'measure aggregate',
  'outages import',
  'outages link',
  'outages events',
  'outages review',
  'outages evaluate',
  'outages watch',
  'ledger import',
  'ledger query',
  'ledger surges',
] as const;

/** Environment variables a command may read, passed from the CLI to the server (nothing else is sent). */
const PASSED_ENV = ['STACKWATCH_NEW_PASSWORD', 'STACKWATCH_ACTOR'] as const;

const Credential = z.object({ pid: z.number().int().positive(), socket: z.string().min(1), secret: z.string().min(32), startedAt: z.string() });
type Credential = z.infer<typeof Credential>;

const Request = z
  .object({
    secret: z.string().min(1).max(200),
    argv: z.array(z.string().max(100_000)).min(1).max(500),
    env: z.partialRecord(z.enum(PASSED_ENV), z.string().max(10_000)).default({}),
    stdoutTTY: z.boolean().default(false),
    stderrTTY: z.boolean().default(false),
  })
  .strict();

/** The command words that `argv` starts with, when it is one the server runs. */
export function remoteCommandOf(argv: string[]): string | null {
  const words = REMOTE_COMMANDS.filter((c) => c.split(' ').every((w, i) => argv[i] === w)).sort((a, b) => b.length - a.length);
  return words[0] ?? null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A Writable whose text goes to the client as one JSON line per chunk; once the client is gone, writing throws. */
class ToClient extends Writable {
  constructor(
    private readonly socket: Socket,
    private readonly key: 'o' | 'e',
    readonly isTTY: boolean,
  ) {
    super();
  }
  override write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    if (this.socket.destroyed || !this.socket.writable) throw new Error('The command line that started this command has gone away.');
    return super.write(chunk as string, encoding as BufferEncoding, cb as () => void);
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (e?: Error | null) => void) {
    if (this.socket.destroyed) return cb();
    this.socket.write(`${JSON.stringify({ [this.key]: chunk.toString() })}\n`, () => cb());
  }
}

/** What a remote run records in the audit log: the command and its option names, never their values (passwords). */
export function describeForAudit(argv: string[]): { command: string; options: string[]; files: string[] } {
  const command = remoteCommandOf(argv) ?? argv[0] ?? '';
  const rest = argv.slice(command.split(' ').length);
  const options = rest.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!);
  const files = rest.filter((a) => a.startsWith('/') && existsSync(a)).map((a) => basename(a));
  return { command, options, files };
}

export interface CliSocket {
  socketPath: string;
  close(): Promise<void>;
}

/**
 * Starts the CLI socket of a server that owns an embedded data directory. `run` is the CLI's own dispatcher
 * (src/cli.ts `main`); it runs inside `withLentDb`, so the command's `openDb` gets the server's handle.
 */
export async function startCliSocket(opts: {
  db: Db;
  dataDir: string;
  log: Logger;
  run: (argv: string[], ctx: CliContext) => Promise<number>;
}): Promise<CliSocket> {
  const secret = randomBytes(32).toString('base64url');
  const dataDir = resolve(opts.dataDir);
  let socketPath = join(dataDir, 'cli.sock');
  // A Unix socket's path is limited to about 104 bytes; use the temporary directory for long data-directory paths.
  if (Buffer.byteLength(socketPath) > 100) socketPath = join(tmpdir(), `stackwatch-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
  if (existsSync(socketPath)) unlinkSync(socketPath); // left by a server that died (the data-directory lock was stale)
  const running = new Set<Socket>();

  const server: Server = createServer((socket) => {
    running.add(socket);
    socket.on('close', () => running.delete(socket));
    socket.on('error', () => undefined);
    let buf = '';
    let started = false;
    socket.on('data', (d) => {
      if (started) return;
      buf += d.toString('utf8');
      if (buf.length > 2_000_000) return void socket.destroy();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      started = true;
      void handle(socket, buf.slice(0, nl));
    });
  });

  async function handle(socket: Socket, line: string) {
    const finish = (code: number, message?: string) => {
      if (message) socket.write(`${JSON.stringify({ e: message })}\n`);
      socket.end(`${JSON.stringify({ exit: code })}\n`);
    };
    let req: z.infer<typeof Request>;
    try {
      req = Request.parse(JSON.parse(line));
    } catch (e) {
      return finish(2, `The server could not read the command: ${(e as Error).message}\n`);
    }
    const a = Buffer.from(req.secret);
    const b = Buffer.from(secret);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return finish(1, 'The server refused the command: wrong credential.\n');
    const command = remoteCommandOf(req.argv);
    if (!command) return finish(2, `The server does not run "${req.argv.slice(0, 2).join(' ')}" for the command line.\n`);
    const described = describeForAudit(req.argv);
    opts.log.info('cli command from the local command line', { command });
    try {
      const actor = await systemActor(opts.db);
      await audit(opts.db, { ...actor, label: 'cli' }, 'cli.run', 'cli', null, null, described);
    } catch (e) {
      opts.log.warn('could not audit a cli command', { err: e as Error });
    }
    const ctx: CliContext = {
      stdout: new ToClient(socket, 'o', req.stdoutTTY),
      stderr: new ToClient(socket, 'e', req.stderrTTY),
      env: { ...process.env, ...req.env },
    };
    let code: number;
    try {
      code = await withLentDb(opts.db, () => opts.run(req.argv, ctx));
    } catch (e) {
      if (socket.destroyed) return; // the client went away (Ctrl-C): the command stopped at its next output
      opts.log.error('cli command failed', { err: e as Error, command });
      code = 1;
      ctx.stderr.write(`error: ${(e as Error).message}\n`);
    }
    // Let the streamed output drain before the exit code.
    await new Promise<void>((res) => (ctx.stdout as Writable).end(() => (ctx.stderr as Writable).end(() => res())));
    if (!socket.destroyed) finish(code);
  }

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(socketPath, () => res());
  });
  chmodSync(socketPath, 0o600);
  const credPath = join(dataDir, CREDENTIAL_FILE);
  const cred: Credential = { pid: process.pid, socket: socketPath, secret, startedAt: new Date().toISOString() };
  writeFileSync(credPath, JSON.stringify(cred), { mode: 0o600 });
  chmodSync(credPath, 0o600);
  return {
    socketPath,
    async close() {
      rmSync(credPath, { force: true });
      for (const s of running) s.destroy();
      await new Promise<void>((res) => server.close(() => res()));
      rmSync(socketPath, { force: true });
    },
  };
}

/**
 * The running server that owns this data directory, or null: the lock is held by a live process that published a
 * credential this user can read. Throws when the directory is locked by a live process that published none (an older
 * server, or another command) — the caller then opens the database itself and gets the lock's clear error.
 */
export function findRunningServer(dataDir: string): Credential | null {
  const dir = resolve(dataDir);
  const lockPath = join(dir, 'stackwatch.lock');
  if (!existsSync(lockPath)) return null;
  let lockPid: number;
  try {
    lockPid = Number(readFileSync(lockPath, 'utf8').trim());
  } catch {
    return null;
  }
  if (!lockPid || !isAlive(lockPid)) return null;
  const credPath = join(dir, CREDENTIAL_FILE);
  if (!existsSync(credPath)) return null;
  try {
    const cred = Credential.parse(JSON.parse(readFileSync(credPath, 'utf8')));
    if (cred.pid !== lockPid || !existsSync(cred.socket)) return null;
    return cred;
  } catch {
    return null;
  }
}

/** The data directory a command works on: its --data-dir, else STACKWATCH_DATA_DIR, else ./data. */
export function dataDirOf(argv: string[], env: NodeJS.ProcessEnv): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data-dir' && argv[i + 1]) return argv[i + 1]!;
    if (a.startsWith('--data-dir=')) return a.slice('--data-dir='.length);
  }
  return env.STACKWATCH_DATA_DIR || './data';
}

const PATH_OPTIONS = new Set(['--out', '--config', '--labels', '--input', '--data-dir', '--map']);

/**
 * The command line as the server must see it: the server runs in another working directory, so paths become
 * absolute: values of path options (--out, --config, …), and other words that name an existing file here.
 */
export function absolutePaths(argv: string[], cwd = process.cwd()): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0 && PATH_OPTIONS.has(a.slice(0, eq))) {
      out.push(`${a.slice(0, eq)}=${resolve(cwd, a.slice(eq + 1))}`);
    } else if (PATH_OPTIONS.has(a) && i + 1 < argv.length) {
      out.push(a, resolve(cwd, argv[++i]!));
    } else if (!a.startsWith('-') && /[./]/.test(a) && isFile(resolve(cwd, a))) {
      out.push(resolve(cwd, a));
    } else out.push(a);
  }
  return out;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Sends a command to the running server and relays its output; resolves with its exit code. */
export function runOnServer(cred: Credential, argv: string[], ctx: CliContext): Promise<number> {
  return new Promise((res) => {
    const socket = connect(cred.socket);
    const env: Record<string, string> = {};
    for (const k of PASSED_ENV) if (ctx.env[k] !== undefined) env[k] = ctx.env[k]!;
    const tty = (w: unknown) => Boolean((w as { isTTY?: boolean }).isTTY);
    let buf = '';
    let code: number | null = null;
    socket.on('connect', () => {
      socket.write(`${JSON.stringify({ secret: cred.secret, argv: absolutePaths(argv), env, stdoutTTY: tty(ctx.stdout), stderrTTY: tty(ctx.stderr) })}\n`);
    });
    socket.on('data', (d) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let msg: { o?: string; e?: string; exit?: number };
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (typeof msg.o === 'string') ctx.stdout.write(msg.o);
        if (typeof msg.e === 'string') ctx.stderr.write(msg.e);
        if (typeof msg.exit === 'number') code = msg.exit;
      }
    });
    socket.on('error', (e) => {
      ctx.stderr.write(`error: could not reach the running Stackwatch server (pid ${cred.pid}) at ${cred.socket}: ${e.message}\n`);
      code ??= 1;
    });
    socket.on('close', () => {
      if (code === null) ctx.stderr.write('error: the running server closed the connection before the command finished.\n');
      res(code ?? 1);
    });
  });
}

/** The running server a CLI command should be sent to, or null to run it here (no server, PostgreSQL, no database). */
export function serverFor(argv: string[], env: NodeJS.ProcessEnv): Credential | null {
  if (env.DATABASE_URL || runsOnLentDb() || !remoteCommandOf(argv)) return null;
  const dir = dataDirOf(argv, env);
  if (dir === 'memory://') return null;
  return findRunningServer(dir);
}
