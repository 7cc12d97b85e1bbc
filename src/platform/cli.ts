import { resolve } from 'node:path';
import { createWriteStream, openSync } from 'node:fs';
import { parseCommandArgs, UsageError, type CliCommand, type CliContext } from '../core/cli-kit.js';
import { loadConfig } from './config.js';
import { openDb, type Db } from './db.js';
import { migrate } from './migrate.js';
import { createToken, createUser, ensureOrg, NewTokenSchema, NewUserSchema, systemActor, TOKEN_SCOPES, updateUser, UserPatchSchema } from './auth.js';
import { describeIssues } from '../core/errors.js';
import { ROLES, type Role } from '../core/taxonomy.js';
import type { Actor } from './audit.js';

/** Opens the configured database (DATABASE_URL or the embedded one in STACKWATCH_DATA_DIR) and migrates it. */
export async function openFromEnv(env: NodeJS.ProcessEnv, dataDir?: string): Promise<Db> {
  const cfg = loadConfig(env, { dataDir });
  const db = await openDb({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir === 'memory://' ? 'memory://' : resolve(cfg.dataDir) });
  try {
    await migrate(db);
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

/** The user with this e-mail, as the actor the command works for; a usage error when there is none. */
async function userByEmail(db: Db, email: string): Promise<Actor & { userId: string }> {
  const u = (await db.query<{ id: string; org_id: string; role: Role; email: string }>('select id, org_id, role, email from users where lower(email) = lower($1)', [email])).rows[0];
  if (!u) throw new UsageError(`No user with e-mail ${email}.`);
  return { userId: u.id, orgId: u.org_id, role: u.role, label: u.email, scopes: null };
}

const serve: CliCommand = {
  path: ['serve'],
  summary: 'Start Stackwatch (API and console)',
  usage: 'stackwatch serve [--port N] [--host ADDR] [--data-dir DIR] [--no-history]',
  async run(argv, ctx) {
    const { values } = parseCommandArgs(argv, {
      port: { type: 'string' }, host: { type: 'string' }, 'data-dir': { type: 'string' }, 'no-history': { type: 'boolean' },
    }, false);
    const { startServer } = await import('../server.js');
    const t0 = performance.now();
    const srv = await startServer({
      port: values.port as never, host: values.host, dataDir: values['data-dir'], loadHistory: values['no-history'] ? false : undefined,
    });
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    const out = ctx.stdout;
    out.write(`\nStackwatch is running at ${srv.url}  (database: ${srv.db.kind}, started in ${secs} s)\n`);
    if (srv.history.loaded) out.write(`Loaded the real history (Access Now STOP, IODA) in ${(srv.history.ms / 1000).toFixed(1)} s.\n`);
    if (srv.admin.created) {
      out.write(`\nFirst login:  ${srv.admin.email}\n`);
      if (srv.admin.generatedPassword) {
        out.write(`Password:     ${srv.admin.generatedPassword}\n`);
        out.write(`This password is shown once: keep it safe. To choose another, use My account in the console, or run\n  npx stackwatch user password --email ${srv.admin.email}\n(it works while the server runs), or set STACKWATCH_ADMIN_PASSWORD before the first start.\n`);
      } else out.write('Password:     the one in STACKWATCH_ADMIN_PASSWORD\n');
    } else out.write(`Sign in as ${srv.admin.email} (or any user an admin created).\n`);
    out.write(`API docs:     ${srv.url}/api/docs\n\n`);
    await new Promise<void>((res) => {
      const stop = async (sig: string) => {
        ctx.stderr.write(`\n${sig}: finishing requests and closing the database…\n`);
        await srv.close();
        res();
      };
      process.once('SIGTERM', () => void stop('SIGTERM'));
      process.once('SIGINT', () => void stop('SIGINT'));
    });
    return 0;
  },
};

const migrateCmd: CliCommand = {
  path: ['migrate'],
  summary: 'Apply database migrations',
  usage: 'stackwatch migrate [--data-dir DIR]',
  async run(argv, ctx) {
    const { values } = parseCommandArgs(argv, { 'data-dir': { type: 'string' } }, false);
    const cfg = loadConfig(ctx.env, { dataDir: values['data-dir'] });
    const db = await openDb({ databaseUrl: cfg.databaseUrl, dataDir: resolve(cfg.dataDir) });
    try {
      const applied = await migrate(db);
      ctx.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n');
    } finally {
      await db.close();
    }
    return 0;
  },
};

const userAdd: CliCommand = {
  path: ['user', 'add'],
  summary: 'Add a user (password from --password or STACKWATCH_NEW_PASSWORD)',
  usage: `stackwatch user add --email E --role ${ROLES.join('|')} [--name N] [--org ORG] [--password P]`,
  async run(argv, ctx) {
    const { values } = parseCommandArgs(argv, {
      email: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' }, org: { type: 'string' }, password: { type: 'string' }, 'data-dir': { type: 'string' },
    }, false);
    const parsed = NewUserSchema.safeParse({
      email: values.email, role: values.role, name: values.name ?? '', password: values.password ?? ctx.env.STACKWATCH_NEW_PASSWORD, orgName: values.org,
    });
    if (!parsed.success) throw new UsageError(describeIssues(parsed.error.issues).message);
    const db = await openFromEnv(ctx.env, values['data-dir']);
    try {
      const orgId = await db.transaction((tx) => ensureOrg(tx, parsed.data.orgName ?? 'Stackwatch'));
      const actor = { ...(await systemActor(db)), orgId, label: 'cli' };
      const u = await createUser(db, actor, parsed.data);
      ctx.stdout.write(`Added ${u.email} (${u.role}) in ${u.orgName}.\n`);
    } finally {
      await db.close();
    }
    return 0;
  },
};

const userPassword: CliCommand = {
  path: ['user', 'password'],
  summary: 'Set a user\'s password (from --password or STACKWATCH_NEW_PASSWORD); ends their sessions',
  usage: 'stackwatch user password --email E [--password P]',
  async run(argv, ctx) {
    const { values } = parseCommandArgs(argv, { email: { type: 'string' }, password: { type: 'string' }, 'data-dir': { type: 'string' } }, false);
    if (!values.email) throw new UsageError('--email is required');
    const parsed = UserPatchSchema.safeParse({ password: values.password ?? ctx.env.STACKWATCH_NEW_PASSWORD });
    if (!parsed.success || !parsed.data.password) throw new UsageError(`password: ${parsed.success ? 'is required (--password or STACKWATCH_NEW_PASSWORD)' : describeIssues(parsed.error.issues).message}`);
    const db = await openFromEnv(ctx.env, values['data-dir']);
    try {
      const u = await userByEmail(db, values.email);
      await updateUser(db, { ...(await systemActor(db)), label: 'cli' }, u.userId, { password: parsed.data.password });
      ctx.stdout.write(`New password set for ${values.email}; their sessions were ended.\n`);
    } finally {
      await db.close();
    }
    return 0;
  },
};

const tokenCreate: CliCommand = {
  path: ['token', 'create'],
  summary: 'Create an API token for a user (printed once)',
  usage: `stackwatch token create --user EMAIL --name NAME --scopes ${TOKEN_SCOPES.join(',')} [--days N]`,
  async run(argv, ctx) {
    const { values } = parseCommandArgs(argv, { user: { type: 'string' }, name: { type: 'string' }, scopes: { type: 'string' }, days: { type: 'string' }, 'data-dir': { type: 'string' } }, false);
    if (!values.user) throw new UsageError('--user is required (the e-mail of the token owner)');
    const parsed = NewTokenSchema.safeParse({
      name: values.name, scopes: (values.scopes ?? '').split(',').map((s) => s.trim()).filter(Boolean), expiresInDays: values.days ? Number(values.days) : undefined,
    });
    if (!parsed.success) throw new UsageError(describeIssues(parsed.error.issues).message);
    const db = await openFromEnv(ctx.env, values['data-dir']);
    try {
      const u = await userByEmail(db, values.user);
      const { token, secret } = await createToken(db, { ...u, label: `cli for ${u.label}` }, parsed.data);
      ctx.stdout.write(`Token "${token.name}" (${token.scopes.join(', ')}) for ${u.label}:\n${secret}\nStore it now: it is not shown again.\n`);
    } finally {
      await db.close();
    }
    return 0;
  },
};

const exportIncidents: CliCommand = {
  path: ['export', 'incidents'],
  summary: 'Export incidents as CSV or JSON (TLP:CLEAR and TLP:GREEN unless --as names a user)',
  usage: 'stackwatch export incidents --format csv|json [--country CC] [--type T] [--status S] [--from D] [--to D] [--q TEXT] [--tlp L] [--as EMAIL] [--out FILE]',
  async run(argv, ctx) {
    const { values } = parseCommandArgs(argv, {
      format: { type: 'string', default: 'json' }, country: { type: 'string' }, type: { type: 'string' }, status: { type: 'string' }, from: { type: 'string' },
      to: { type: 'string' }, q: { type: 'string' }, tlp: { type: 'string' }, as: { type: 'string' }, out: { type: 'string' }, 'data-dir': { type: 'string' },
    }, false);
    const { IncidentFilterSchema } = await import('../incidents/model.js');
    const { streamIncidents } = await import('../incidents/store.js');
    const { exportChunks } = await import('../incidents/export.js');
    if (values.format !== 'csv' && values.format !== 'json') throw new UsageError('--format must be csv or json');
    const f = IncidentFilterSchema.safeParse({ country: values.country, type: values.type, status: values.status, from: values.from, to: values.to, q: values.q, tlp: values.tlp });
    if (!f.success) throw new UsageError(describeIssues(f.error.issues).message);
    // Open the output file before anything else, so that an unwritable --out is a clear error, not a crash later.
    let outFd: number | undefined;
    if (values.out) {
      try {
        outFd = openSync(values.out, 'w');
      } catch (e) {
        throw new UsageError(`--out: cannot write ${values.out} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
    const db = await openFromEnv(ctx.env, values['data-dir']);
    try {
      let actor = await systemActor(db);
      if (values.as) {
        actor = await userByEmail(db, values.as);
      } else {
        // Without a named user, export only what may be published or shared with the community.
        actor = { ...actor, orgId: '00000000-0000-0000-0000-000000000000', userId: null };
      }
      const out = values.out ? createWriteStream('', { fd: outFd }) : ctx.stdout;
      let n = 0;
      const counted = (async function* () {
        for await (const i of streamIncidents(db, actor, f.data)) {
          n++;
          yield i;
        }
      })();
      // Source links and data-set attribution travel with every row (src/incidents/export.ts).
      for await (const chunk of exportChunks(db, counted, values.format)) out.write(chunk);
      if (values.out) {
        await new Promise<void>((res) => (out as ReturnType<typeof createWriteStream>).end(res));
        ctx.stderr.write(`Exported ${n} incidents to ${values.out}.\n`);
      }
    } finally {
      await db.close();
    }
    return 0;
  },
};

export const commands: CliCommand[] = [serve, migrateCmd, userAdd, userPassword, tokenCreate, exportIncidents];
export type { CliContext };
