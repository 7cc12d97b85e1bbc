/**
 * The ledger's CLI beside a running server. DuckDB has one writer per file and the server holds the data directory's
 * ledger.duckdb, so `stackwatch ledger import|query|surges` hand their work to the server over its local socket
 * (src/ops/remote.ts), as the registry's commands do: same progress, same summary, same answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../server.js';
import { main } from '../cli.js';
import { captureCli } from '../platform/testing.js';
import { remoteCommandOf } from '../ops/remote.js';
import { ledgerFor } from './engine.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SUMMARY = join(ROOT, '..', 'shared', 'data', 'transparency', 'google', 'google-government-removal-requests.csv');
const dir = mkdtempSync(join(tmpdir(), 'sw-ledger-remote-'));
const dataDir = join(dir, 'data');
const env = { STACKWATCH_DATA_DIR: dataDir };
let srv: RunningServer;

beforeAll(async () => {
  srv = await startServer({ quiet: true, dataDir, port: 0, loadHistory: false, jobs: false, adminEmail: 'admin@example.org', adminPassword: 'a long admin password 1' });
}, 180_000);
afterAll(async () => {
  await srv?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The real command line in another process, as a person types it while the server runs. */
function cliProcess(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'stackwatch.js'), ...args], { env: { ...process.env, ...env, LEDGER_CLICKHOUSE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => res({ code, out, err }));
  });
}

describe('ledger commands beside a running server', () => {
  it('are among the commands the server runs for the CLI', () => {
    expect(remoteCommandOf(['ledger', 'import', 'google', 'x.csv'])).toBe('ledger import');
    expect(remoteCommandOf(['ledger', 'query', 'requests'])).toBe('ledger query');
    expect(remoteCommandOf(['ledger', 'surges', '--link'])).toBe('ledger surges');
  });

  it("imports Google's file with the CLI into the server's ledger, with the summary, and answers the query from another process", async () => {
    const imp = await captureCli(main, ['ledger', 'import', 'google', SUMMARY], env);
    expect(imp.err).not.toMatch(/error/i);
    expect(imp.code).toBe(0);
    expect(imp.out).toMatch(/google-government-removal-requests\.csv: done — \d+ rows read, \d+ loaded, \d+ flagged/);
    // the rows are in the engine the server serves the API from
    const e = await ledgerFor(srv.db);
    const n = Number((await e.all("SELECT count(*) AS n FROM ledger_demands WHERE source_file = 'google-government-removal-requests.csv'"))[0]!.n);
    expect(n).toBeGreaterThan(1000);
    // the API sees them
    const login = await fetch(`${srv.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@example.org', password: 'a long admin password 1' }) });
    const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
    const api = await fetch(`${srv.url}/api/ledger/queries/requests?country=RU&year=2022`, { headers: { cookie } });
    expect(api.status).toBe(200);
    expect(((await api.json()) as { rows: { requests_low: number }[] }).rows[0]!.requests_low).toBe(57958);

    // a separate process: the data directory is locked by this one, so the command goes over the socket
    const q = await cliProcess(['ledger', 'query', 'requests', '--country', 'RU', '--year', '2022', '--json']);
    expect(q.err).toBe('');
    expect(q.code).toBe(0);
    expect(q.out.trim()).toBe('57958');

    // re-running the import through the server changes nothing
    const again = await captureCli(main, ['ledger', 'import', 'google', SUMMARY], env);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/already imported, nothing changed/);
    expect(Number((await e.all("SELECT count(*) AS n FROM ledger_demands WHERE source_file = 'google-government-removal-requests.csv'"))[0]!.n)).toBe(n);

    // the audit log names the commands, not their arguments' contents
    const runs = (await srv.db.query<{ after: { command: string; files: string[] } }>("select after from audit_log where action = 'cli.run' order by id")).rows;
    expect(runs.map((r) => r.after.command)).toEqual(['ledger import', 'ledger query', 'ledger import']);
    expect(runs[0]!.after.files).toEqual(['google-government-removal-requests.csv']);
  }, 120_000);
});
