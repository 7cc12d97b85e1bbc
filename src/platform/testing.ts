import pg from 'pg';
import { PassThrough } from 'node:stream';
import type { CliContext } from '../core/cli-kit.js';
import { randomBytes } from 'node:crypto';
import { enableRegistryCache, openDb, type Db } from './db.js';
import { migrate } from './migrate.js';

/**
 * Database back-ends the integration tests run on: always the embedded PGlite; also a real PostgreSQL server
 * when TEST_DATABASE_URL (a server URL whose user may CREATE DATABASE) is set, as `.ci/run` does.
 * Usage: `describe.each(testBackends())('registry on %s', (backend) => { let db; beforeAll(async () => { db = await backend.open(); }) ... })`.
 */
export interface TestBackend {
  name: 'pglite' | 'postgres';
  open(): Promise<Db>;
  /** A second handle on the same database (PostgreSQL only: another process, as far as caching goes). */
  openAnother?(db: Db): Promise<Db>;
  toString(): string;
}

export function testBackends(): TestBackend[] {
  const list: TestBackend[] = [{ name: 'pglite', open: () => freshPglite(), toString: () => 'pglite' }];
  const url = process.env.TEST_DATABASE_URL;
  if (url)
    list.push({
      name: 'postgres',
      open: () => freshPostgres(url),
      openAnother: async (db) => {
        const other = await openDb({ databaseUrl: (db as Db & { connectionUrl?: string }).connectionUrl });
        await enableRegistryCache(other);
        return other;
      },
      toString: () => 'postgres',
    });
  return list;
}

async function freshPglite(): Promise<Db> {
  const db = await openDb({ dataDir: 'memory://' });
  await migrate(db);
  return db;
}

/** Creates a new, empty database on the server for one test file and drops it when the handle closes. */
async function freshPostgres(serverUrl: string): Promise<Db> {
  const name = `sw_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const db = await openDb({ databaseUrl: u.toString() });
  await migrate(db);
  await enableRegistryCache(db);
  (db as Db & { connectionUrl?: string }).connectionUrl = u.toString();
  const close = db.close.bind(db);
  db.close = async () => {
    await close();
    await new Promise((r) => setTimeout(r, 50)); // let the closed connections finish leaving the server
    const a = new pg.Client({ connectionString: serverUrl });
    await a.connect();
    await a.query(`drop database if exists ${name} with (force)`);
    await a.end();
  };
  return db;
}

/** A small client for `app.request()` that keeps a session cookie and CSRF token like the console does. */
export class TestClient {
  cookie = '';
  csrf = '';
  bearer = '';
  constructor(private readonly app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }) {}
  async login(email: string, password: string, totp?: string): Promise<Response> {
    const res = await this.call('POST', '/api/auth/login', { email, password, ...(totp ? { totp } : {}) });
    if (res.status === 200) {
      const set = res.headers.get('set-cookie') ?? '';
      this.cookie = set.split(';')[0] ?? '';
      this.csrf = ((await res.clone().json()) as { csrfToken: string }).csrfToken;
    }
    return res;
  }
  call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const h: Record<string, string> = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    if (this.csrf && method !== 'GET') h['x-csrf-token'] = this.csrf;
    if (this.bearer) h.authorization = `Bearer ${this.bearer}`;
    if (body !== undefined && typeof body !== 'string') h['content-type'] = 'application/json';
    if (typeof body === 'string') h['content-type'] ??= 'application/json';
    return Promise.resolve(this.app.request(`http://localhost${path}`, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) }));
  }
  async json<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await this.call(method, path, body);
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }
}

/** Runs a CLI entry point (a command's `run`, or `main`) with captured output, as the terminal would show it. */
export async function captureCli(
  run: (argv: string[], ctx: CliContext) => Promise<number>,
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await run(argv, { stdout, stderr, env });
  return { code, out, err };
}
