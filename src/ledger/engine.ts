/**
 * Where the ledger's facts live: an analytics engine, not the registry's PostgreSQL. DuckDB embedded by default (a
 * file in the data directory, ':memory:' in tests); a ClickHouse server when LEDGER_CLICKHOUSE_URL is set. Both
 * answer the same named queries (queries.ts), each with its own SQL. The ClickHouse dialect is tested on chdb
 * (chdb-engine.ts, a devDependency), which embeds a current ClickHouse engine.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Db } from '../platform/db.js';
import { backfillRollups, missingRollups } from './rollup.js';
import { schemaSql, TABLES } from './schema.js';

export type Dialect = 'duckdb' | 'clickhouse';

export interface LedgerEngine {
  readonly dialect: Dialect;
  /** 'duckdb', 'clickhouse' (a server) or 'chdb' (embedded ClickHouse, tests and benchmarks). */
  readonly name: string;
  run(sql: string): Promise<void>;
  all(sql: string): Promise<Record<string, unknown>[]>;
  /** Appends rows (objects keyed by column name). */
  insert(table: string, rows: Record<string, unknown>[]): Promise<void>;
  /** All-or-nothing where the engine has transactions (DuckDB); ClickHouse callers clean up by key instead. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A SQL string literal for the dialect (ClickHouse treats backslash as an escape, DuckDB does not). */
export function lit(d: Dialect, v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('not a finite number');
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const s = String(v);
  return d === 'clickhouse' ? `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : `'${s.replace(/'/g, "''")}'`;
}

export function valuesSql(d: Dialect, table: string, rows: Record<string, unknown>[]): string {
  const cols = Object.keys(rows[0]!);
  const vals = rows.map((r) => `(${cols.map((c) => lit(d, r[c])).join(',')})`).join(',\n');
  return `INSERT INTO ${table} (${cols.join(',')}) VALUES ${vals}`;
}

class DuckEngine implements LedgerEngine {
  readonly dialect = 'duckdb' as const;
  readonly name = 'duckdb';
  private chain: Promise<unknown> = Promise.resolve();
  private readonly inTx = new AsyncLocalStorage<boolean>();
  constructor(private readonly inst: DuckDBInstance, readonly conn: DuckDBConnection) {}
  /** One statement at a time on the one connection; a transaction holds the connection until it ends. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTx.getStore()) return fn();
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }
  run(sql: string) {
    return this.serial(async () => void (await this.conn.run(sql)));
  }
  all(sql: string) {
    return this.serial(async () => (await this.conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]);
  }
  /** Many rows go through a newline-delimited JSON file that DuckDB reads with the table's own column types. */
  async insert(table: string, rows: Record<string, unknown>[]) {
    if (!rows.length) return;
    if (rows.length < 50) return this.run(valuesSql('duckdb', table, rows));
    const cols = TABLES[table];
    if (!cols) throw new Error(`unknown ledger table ${table}`);
    const dir = mkdtempSync(join(tmpdir(), 'ledger-ins-'));
    const file = join(dir, 'rows.ndjson');
    try {
      writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
      const spec = cols.map(([n, duck]) => `'${n}': '${duck}'`).join(', ');
      const names = Object.keys(rows[0]!).join(', ');
      await this.run(`INSERT INTO ${table} (${names}) SELECT ${names} FROM read_json('${file.replace(/'/g, "''")}', format = 'newline_delimited', columns = {${spec}})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTx.getStore()) return fn();
    return this.serial(() =>
      this.inTx.run(true, async () => {
        await this.conn.run('BEGIN TRANSACTION');
        try {
          const r = await fn();
          await this.conn.run('COMMIT');
          return r;
        } catch (e) {
          await this.conn.run('ROLLBACK').catch(() => undefined);
          throw e;
        }
      }),
    );
  }
  async close() {
    await this.chain;
    this.conn.closeSync();
    this.inst.closeSync();
  }
}

/**
 * DuckDB's own memory (buffer pool, an import part's staging table) is bounded for a file-backed ledger, so that an
 * import of a 134-million-row day stays well under 1 GiB of resident memory: beyond the limit DuckDB spills to
 * `<file>.tmp`. LEDGER_DUCKDB_MEMORY_LIMIT changes it (e.g. 4GiB on a machine given to analytics).
 */
export function duckMemoryLimit(env: NodeJS.ProcessEnv = process.env): string {
  const v = (env.LEDGER_DUCKDB_MEMORY_LIMIT ?? '').trim();
  if (!v) return '512MiB';
  if (!/^\d{1,7}(\.\d{1,3})?\s?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(v)) throw new Error(`LEDGER_DUCKDB_MEMORY_LIMIT: "${v.slice(0, 40)}" is not a size such as 512MiB or 4GB`);
  return v;
}

/**
 * A DSA import holds DuckDB to a lower limit while it runs (unless LEDGER_DUCKDB_MEMORY_LIMIT says otherwise): with
 * 512 MiB, the blocks of the parts just written stay cached up to the limit and the importer's resident memory grew
 * with the day (700 MiB at 2 M rows, 1,077 MiB at 30 M); at 384 MiB it levels off below 1 GiB at the same speed. At
 * 256 MiB parts of a million rows load at half the speed.
 */
export function duckImportMemoryLimit(env: NodeJS.ProcessEnv = process.env): string | null {
  return (env.LEDGER_DUCKDB_MEMORY_LIMIT ?? '').trim() ? null : '384MiB';
}

/**
 * Creates the ledger's tables where missing. A ledger written before the rollup tables existed gets them filled from
 * its detail rows once, here, so that the named queries that read them answer as before.
 */
export async function createSchema(e: LedgerEngine): Promise<void> {
  const missing = await missingRollups(e);
  for (const s of schemaSql(e.dialect)) await e.run(s);
  if (missing.dsa || missing.demands) await backfillRollups(e, missing);
}

/** Opens DuckDB (a file path, or ':memory:') and creates the ledger's tables. */
export async function openDuckLedger(path = ':memory:'): Promise<LedgerEngine> {
  // loaded on first use (about 0.2 s): CLI commands of other wings do not pay for it
  const { DuckDBInstance: Duck } = await import('@duckdb/node-api');
  const inst = await Duck.create(path);
  const e = new DuckEngine(inst, await inst.connect());
  if (path !== ':memory:') await e.run(`SET memory_limit = '${duckMemoryLimit()}'`);
  await createSchema(e);
  return e;
}

/**
 * On a cluster the ledger's tables are Distributed tables over `<name>_local` tables (docs/ledger.md). ClickHouse
 * deletes rows only in the local MergeTree tables, so an importer's clean-up `DELETE FROM ledger_x WHERE …` is sent to
 * `ledger_x_local` on every node of the cluster. Other statements are left as they are.
 */
export function clusterDelete(sql: string, cluster: string | null): string {
  if (!cluster) return sql;
  return sql.replace(/^(\s*)DELETE FROM (ledger_[a-z_]+)\s+WHERE\b/i, (_m, ws: string, table: string) => `${ws}DELETE FROM ${table}_local ON CLUSTER ${lit('clickhouse', cluster)} WHERE`);
}

const CLUSTER_NAME = /^[A-Za-z0-9_.{}-]{1,100}$/;

class ClickHouseServerEngine implements LedgerEngine {
  readonly dialect = 'clickhouse' as const;
  readonly name = 'clickhouse';
  constructor(
    private readonly client: import('@clickhouse/client').ClickHouseClient,
    private readonly cluster: string | null = null,
  ) {}
  async run(sql: string) {
    await this.client.command({ query: clusterDelete(sql, this.cluster) });
  }
  async all(sql: string) {
    const rs = await this.client.query({ query: sql, format: 'JSONEachRow' });
    return (await rs.json()) as Record<string, unknown>[];
  }
  async insert(table: string, rows: Record<string, unknown>[]) {
    if (rows.length) await this.client.insert({ table, values: rows, format: 'JSONEachRow' });
  }
  transaction<T>(fn: () => Promise<T>) {
    return fn();
  }
  async close() {
    await this.client.close();
  }
}

/**
 * Connects to a ClickHouse server (LEDGER_CLICKHOUSE_URL, e.g. http://user:pass@host:8123/stackwatch). On a cluster,
 * `?cluster=NAME` names it: the tables are then Distributed ones created beforehand (docs/ledger.md).
 */
export async function openClickHouseLedger(url: string): Promise<LedgerEngine> {
  const { createClient } = await import('@clickhouse/client');
  const u = new URL(url);
  const database = u.pathname.replace(/^\//, '') || 'default';
  const cluster = u.searchParams.get('cluster');
  if (cluster !== null && !CLUSTER_NAME.test(cluster)) throw new Error(`LEDGER_CLICKHOUSE_URL: cluster "${cluster.slice(0, 100)}" is not a ClickHouse cluster name (letters, digits, _ . - { })`);
  const client = createClient({ url: `${u.protocol}//${u.host}`, username: decodeURIComponent(u.username) || 'default', password: decodeURIComponent(u.password), database });
  const e = new ClickHouseServerEngine(client, cluster);
  // on a cluster the tables are created beforehand (docs/ledger.md); IF NOT EXISTS leaves them as they are
  await createSchema(e);
  return e;
}

/** The engine configured for the process: ClickHouse if LEDGER_CLICKHOUSE_URL is set, else DuckDB in the data dir. */
export async function openConfiguredLedger(opts: { dataDir?: string; clickhouseUrl?: string }): Promise<LedgerEngine> {
  if (opts.clickhouseUrl) return openClickHouseLedger(opts.clickhouseUrl);
  if (!opts.dataDir || opts.dataDir === 'memory://') return openDuckLedger(':memory:');
  mkdirSync(opts.dataDir, { recursive: true });
  return openDuckLedger(join(opts.dataDir, 'ledger.duckdb'));
}

const bound = new WeakMap<object, Promise<LedgerEngine>>();

/** Ties a ledger engine to the registry handle the server runs with (the routes reach it through `ledgerFor`). */
export function bindLedger(db: Db, opts: { dataDir?: string; clickhouseUrl?: string } | LedgerEngine): void {
  bound.set(db, 'dialect' in opts ? Promise.resolve(opts) : openConfiguredLedger(opts));
}

/** The ledger engine of this registry handle; an in-memory DuckDB if none was bound (tests that build the app). */
export function ledgerFor(db: Db): Promise<LedgerEngine> {
  let e = bound.get(db);
  if (!e) {
    e = openDuckLedger(':memory:');
    bound.set(db, e);
  }
  return e;
}

/** Closes the engine bound to this handle, if any. */
export async function closeLedgerFor(db: Db): Promise<void> {
  const e = bound.get(db);
  bound.delete(db);
  if (e) await (await e).close();
}
