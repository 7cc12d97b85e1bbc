import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { startServer, type RunningServer } from '../server.js';
import { main } from '../cli.js';
import { captureCli } from '../platform/testing.js';
import { iodaSlice } from '../../test/ops-data.js';
import { absolutePaths, CREDENTIAL_FILE, describeForAudit, findRunningServer, remoteCommandOf } from './remote.js';

const dir = mkdtempSync(join(tmpdir(), 'sw-remote-'));
const dataDir = join(dir, 'data');
const env = { STACKWATCH_DATA_DIR: dataDir };
let srv: RunningServer;


beforeAll(async () => {
  srv = await startServer({ quiet: true, dataDir, port: 0, loadHistory: false, jobs: false, adminEmail: 'admin@example.org', adminPassword: 'a long admin password 1' });
}, 60_000);
afterAll(async () => {
  await srv?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the CLI beside a running server (embedded database)', () => {
  it('publishes a credential only its owner can read, and a socket', () => {
    const cred = join(dataDir, CREDENTIAL_FILE);
    expect(statSync(cred).mode & 0o777).toBe(0o600);
    const found = findRunningServer(dataDir);
    expect(found?.pid).toBe(process.pid);
    expect(statSync(found!.socket).mode & 0o777).toBe(0o600);
  });

  it('imports, exports, adds a user and creates a token while the server holds the database', async () => {
    // The lock is held: opening the data directory a second time is refused …
    const { openDb } = await import('../platform/db.js');
    await expect(openDb({ dataDir })).rejects.toThrow(/in use|already open/);
    // … so the commands go to the server (the credential's pid is this test process; the server runs them on its handle).
    const file = join(dir, 'ioda-slice.csv');
    writeFileSync(file, iodaSlice(40));
    const imp = await captureCli(main, ['import', 'ioda-outages', file], env);
    expect(imp.err).not.toMatch(/error/i);
    expect(imp.code).toBe(0);
    expect(imp.out).toMatch(/rows read/);
    const n = (await srv.db.query<{ n: number }>("select count(*)::int n from incidents where origin like 'ioda%'")).rows[0]!.n;
    expect(n).toBeGreaterThan(0);

    const out = join(dir, 'export.csv');
    const exp = await captureCli(main, ['export', 'incidents', '--format', 'csv', '--out', out, '--as', 'admin@example.org'], env);
    expect(exp.code).toBe(0);
    expect(exp.err).toMatch(/Exported \d+ incidents/);
    expect(readFileSync(out, 'utf8').trim().split('\n').length).toBeGreaterThan(1);

    const add = await captureCli(main, ['user', 'add', '--email', 'ana@example.org', '--role', 'analyst', '--password', 'another long password'], env);
    expect(add).toMatchObject({ code: 0 });
    expect(add.out).toMatch(/Added ana@example.org/);
    const pw = await captureCli(main, ['user', 'password', '--email', 'ana@example.org'], { ...env, STACKWATCH_NEW_PASSWORD: 'a third long password' });
    expect(pw.code).toBe(0);
    const tok = await captureCli(main, ['token', 'create', '--user', 'ana@example.org', '--name', 'probe', '--scopes', 'incidents:read'], env);
    expect(tok.code).toBe(0);
    expect(tok.out).toMatch(/sw_/);

    // Every command is in the audit log, with option names but never their values.
    const runs = (await srv.db.query<{ after: { command: string; options: string[] } }>("select after from audit_log where action = 'cli.run' order by id")).rows;
    expect(runs.map((r) => r.after.command)).toEqual(['import ioda-outages', 'export incidents', 'user add', 'user password', 'token create']);
    expect(JSON.stringify(runs)).not.toMatch(/another long password|a third long password/);
    const created = (await srv.db.query<{ n: number }>("select count(*)::int n from audit_log where action in ('user.create', 'token.create') and actor_label like 'cli%'")).rows[0]!.n;
    expect(created).toBe(2);
  }, 120_000);

  it('reports usage errors from the server as the local CLI does', async () => {
    const r = await captureCli(main, ['token', 'create', '--name', 'x', '--scopes', 'incidents:read'], env);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--user is required/);
  });

  it('refuses a wrong credential and commands that do not need the database', async () => {
    const cred = findRunningServer(dataDir)!;
    const talk = (req: object) =>
      new Promise<string>((res) => {
        let text = '';
        const s = connect(cred.socket, () => s.write(`${JSON.stringify(req)}\n`));
        s.on('data', (d) => (text += d));
        s.on('close', () => res(text));
      });
    expect(await talk({ secret: 'x'.repeat(43), argv: ['export', 'incidents'] })).toMatch(/wrong credential[\s\S]*"exit":1/);
    expect(await talk({ secret: cred.secret, argv: ['serve'] })).toMatch(/does not run \\"serve\\"[\s\S]*"exit":2/);
  });

  it('knows which commands go to the server and makes paths absolute', () => {
    expect(remoteCommandOf(['outages', 'watch', '--config', 'w.yaml'])).toBe('outages watch');
    expect(remoteCommandOf(['outages', 'detect', 'x.csv'])).toBeNull();
    expect(remoteCommandOf(['probe'])).toBeNull();
    expect(absolutePaths(['export', 'incidents', '--out', 'x.csv', '--country', 'IR'], '/home/ana')).toEqual(['export', 'incidents', '--out', '/home/ana/x.csv', '--country', 'IR']);
    expect(describeForAudit(['user', 'add', '--email', 'a@b.org', '--password', 'secret words here'])).toEqual({ command: 'user add', options: ['--email', '--password'], files: [] });
  });
});

describe('without a running server', () => {
  it('runs the command on the database itself once the server is gone', async () => {
    await srv.close();
    expect(existsSync(join(dataDir, CREDENTIAL_FILE))).toBe(false);
    expect(findRunningServer(dataDir)).toBeNull();
    const exp = await captureCli(main, ['export', 'incidents', '--format', 'json', '--as', 'admin@example.org'], env);
    expect(exp.code).toBe(0);
    expect((JSON.parse(exp.out) as { items: unknown[] }).items.length).toBeGreaterThan(0);
  }, 60_000);
});
