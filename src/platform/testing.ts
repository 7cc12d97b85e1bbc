import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { openDb, type Db } from './db.js';
import { migrate } from './migrate.js';

/**
 * Database back-ends the integration tests run on: always the embedded PGlite; also a real PostgreSQL server
 * when TEST_DATABASE_URL (a server URL whose user may CREATE DATABASE) is set, as `.ci/run` does.
 * Usage: `describe.each(testBackends())('registry on %s', (backend) => { let db; beforeAll(async () => { db = await backend.open(); }) ... })`.
 */
export interface TestBackend {
  name: 'pglite' | 'postgres';
  open(): Promise<Db>;
  toString(): string;
}

export function testBackends(): TestBackend[] {
  const list: TestBackend[] = [{ name: 'pglite', open: () => freshPglite(), toString: () => 'pglite' }];
  const url = process.env.TEST_DATABASE_URL;
  if (url) list.push({ name: 'postgres', open: () => freshPostgres(url), toString: () => 'postgres' });
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
  const close = db.close.bind(db);
  db.close = async () => {
    await close();
    const a = new pg.Client({ connectionString: serverUrl });
    await a.connect();
    await a.query(`drop database if exists ${name} with (force)`);
    await a.end();
  };
  return db;
}
