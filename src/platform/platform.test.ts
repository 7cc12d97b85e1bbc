import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureCli } from './testing.js';
import { loadConfig, ConfigError } from './config.js';
import { openDb } from './db.js';
import { createLogger } from './log.js';
import { totpCode, verifyTotp, base32Decode, base32Encode } from './totp.js';
import { splitStatements } from './migrate.js';
import { startServer } from '../server.js';
import { main } from '../cli.js';

describe('configuration', () => {
  it('applies defaults and reads the documented variables', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.dataDir).toBe('./data');
    const d = loadConfig({ PORT: '9000', STACKWATCH_DATA_DIR: '/srv/sw', DATABASE_URL: 'postgres://u@127.0.0.1/sw' });
    expect(d).toMatchObject({ port: 9000, dataDir: '/srv/sw', databaseUrl: 'postgres://u@127.0.0.1/sw' });
  });
  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: must start with postgres/);
    expect(() => loadConfig({ STACKWATCH_ADMIN_PASSWORD: 'short' })).toThrow(/STACKWATCH_ADMIN_PASSWORD: must be at least 12/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(ConfigError);
  });
});

describe('logs', () => {
  it('never write passwords, tokens, cookies or e-mail addresses', () => {
    const lines: string[] = [];
    const log = createLogger('debug', (l) => lines.push(l));
    log.info('login', { email: 'hrd@example.org', password: 'hunter2hunter2', nested: { authorization: 'Bearer sw_abc', path: '/api/x' }, sessionToken: 'abc' });
    const out = lines.join('');
    expect(out).not.toContain('hrd@example.org');
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('sw_abc');
    expect(JSON.parse(out).nested.path).toBe('/api/x');
  });
});

describe('TOTP (RFC 6238)', () => {
  it('matches the RFC test vector and accepts one step of drift', () => {
    const secret = base32Encode(Buffer.from('12345678901234567890'));
    expect(base32Decode(secret).toString()).toBe('12345678901234567890');
    // RFC 6238 appendix B, SHA-1, T = 59 s → 94287082 (8 digits); the 6-digit code is its last six digits.
    expect(totpCode(secret, 59_000)).toBe('287082');
    expect(verifyTotp(secret, '287082', 59_000 + 30_000)).toBe(true);
    expect(verifyTotp(secret, '287082', 59_000 + 120_000)).toBe(false);
  });
});

describe('migrations', () => {
  it('split on statement ends but keep dollar-quoted bodies whole', () => {
    const s = splitStatements('create table a (x int);\ncreate function f() returns int as $$\nbegin\n return 1;\nend;\n$$ language plpgsql;\n-- done\n');
    expect(s).toHaveLength(2);
    expect(s[1]).toContain('return 1;');
  });
});

describe('embedded data directory', () => {
  it('refuses a second process-level open with a clear error, and frees the lock on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-lock-'));
    try {
      const a = await openDb({ dataDir: dir });
      await expect(openDb({ dataDir: dir })).rejects.toThrow(/in use|already open/);
      await a.close();
      const b = await openDb({ dataDir: dir });
      await b.close();
      // A lock left by a process that died is taken over.
      writeFileSync(join(dir, 'stackwatch.lock'), '999999');
      const c = await openDb({ dataDir: dir });
      await c.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('server', () => {
  it('starts, answers health and OpenAPI, finishes in-flight requests on close', async () => {
    const srv = await startServer({ port: 0, dataDir: 'memory://', quiet: true, loadHistory: false, jobs: true, adminEmail: 'admin@example.org', adminPassword: 'a long admin password' });
    const health = await fetch(`${srv.url}/api/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const docs = await fetch(`${srv.url}/api/docs`);
    expect(await docs.text()).toContain('Stackwatch API');
    const inflight = fetch(`${srv.url}/api/openapi.json`).then((r) => r.status);
    // Long enough for the request to be read on a loaded machine (a connection whose request has not arrived yet is
    // idle, and closing drops idle connections), short of the time the document takes to build (~0.3 s here).
    await new Promise((r) => setTimeout(r, 100));
    await srv.close();
    expect(await inflight).toBe(200);
    await expect(fetch(`${srv.url}/api/health`)).rejects.toThrow();
  });
});

describe('stackwatch CLI', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv) => captureCli(main, args, env);
  it('adds users, creates tokens, exports, and explains bad usage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-cli-'));
    const env = { STACKWATCH_DATA_DIR: dir };
    try {
      expect((await run(['migrate'], env)).out).toMatch(/Applied|up to date/);
      const add = await run(['user', 'add', '--email', 'ana@example.org', '--role', 'analyst', '--password', 'a good long password'], env);
      expect(add.code).toBe(0);
      expect(add.out).toContain('ana@example.org (analyst)');
      const bad = await run(['user', 'add', '--email', 'not-an-email', '--role', 'analyst', '--password', 'a good long password'], env);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain('email');
      const pw = await run(['user', 'password', '--email', 'ana@example.org', '--password', 'another long password'], env);
      expect(pw.code).toBe(0);
      expect((await run(['user', 'password', '--email', 'ana@example.org', '--password', 'short'], env)).err).toContain('at least 12');
      expect((await run(['user', 'password', '--email', 'nobody@example.org', '--password', 'another long password'], env)).code).toBe(2);
      const tok = await run(['token', 'create', '--user', 'ana@example.org', '--name', 'probe', '--scopes', 'incidents:read,measure:write'], env);
      expect(tok.code).toBe(0);
      expect(tok.out).toMatch(/sw_[A-Za-z0-9_-]{20,}/);
      const badScope = await run(['token', 'create', '--user', 'ana@example.org', '--name', 'x', '--scopes', 'root'], env);
      expect(badScope.code).toBe(2);
      const exp = await run(['export', 'incidents', '--format', 'csv'], env);
      expect(exp.code).toBe(0);
      expect(exp.out.split('\r\n')[0]).toContain('id,type,title,country');
      expect((await run(['export', 'incidents', '--format', 'xml'], env)).code).toBe(2);
      expect((await run(['frobnicate'], env)).code).toBe(2);
      expect((await run(['--help'], env)).out).toContain('import stop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
