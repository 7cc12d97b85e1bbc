/**
 * The ClickHouse dialect on chdb, the embedded ClickHouse engine (a devDependency: tests and benchmarks only; a
 * deployment talks to a ClickHouse server through engine.ts). Same SQL, same tables as on a server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSchema, type LedgerEngine } from './engine.js';

export async function openChdbLedger(): Promise<LedgerEngine> {
  const { Session } = await import('chdb');
  const dir = mkdtempSync(join(tmpdir(), 'ledger-chdb-'));
  const s = new Session(dir);
  const e: LedgerEngine = {
    dialect: 'clickhouse',
    name: 'chdb',
    async run(sql) {
      s.query(sql, 'CSV');
    },
    async all(sql) {
      const out = s.query(sql, 'JSONEachRow');
      return out
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async insert(table, rows) {
      for (let i = 0; i < rows.length; i += 5000) s.query(`INSERT INTO ${table} FORMAT JSONEachRow\n${rows.slice(i, i + 5000).map((r) => JSON.stringify(r)).join('\n')}`, 'CSV');
    },
    transaction: (fn) => fn(),
    async close() {
      s.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await createSchema(e);
  return e;
}
