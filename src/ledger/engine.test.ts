/**
 * On a ClickHouse cluster the ledger's tables are Distributed tables, which take no DELETE: every clean-up delete an
 * import issues must go to the `_local` tables on the whole cluster (docs/ledger.md, "On a ClickHouse cluster").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterDelete, openClickHouseLedger, type LedgerEngine } from './engine.js';
import { openChdbLedger } from './chdb-engine.js';
import { importDsaDay } from './import/dsa.js';
import { writeSyntheticDay } from './import/dsa-synth.js';

describe('ClickHouse on a cluster', () => {
  it('sends deletes to the local tables on the cluster and leaves other statements alone', () => {
    expect(clusterDelete("DELETE FROM ledger_dsa WHERE import_id = 'a' AND part = 'p'", 'main')).toBe("DELETE FROM ledger_dsa_local ON CLUSTER 'main' WHERE import_id = 'a' AND part = 'p'");
    expect(clusterDelete("DELETE FROM ledger_dsa WHERE import_id = 'a'", null)).toBe("DELETE FROM ledger_dsa WHERE import_id = 'a'");
    expect(clusterDelete("INSERT INTO ledger_dsa SELECT 1 WHERE 'DELETE FROM ledger_x WHERE' = ''", 'main')).toMatch(/^INSERT INTO ledger_dsa /);
    expect(clusterDelete("SELECT * FROM ledger_imports FINAL WHERE id = 'x'", 'main')).toBe("SELECT * FROM ledger_imports FINAL WHERE id = 'x'");
  });

  it('refuses a cluster name that is not one', async () => {
    await expect(openClickHouseLedger("http://127.0.0.1:1/db?cluster=a'b")).rejects.toThrow(/cluster "a'b" is not a ClickHouse cluster name/);
  });

  it('rewrites every delete a DSA import makes on the ClickHouse dialect', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-cluster-'));
    const inner = await openChdbLedger();
    const seen: string[] = [];
    const e: LedgerEngine = { ...inner, dialect: inner.dialect, name: inner.name, run: async (sql) => (seen.push(sql), inner.run(sql)), all: (s) => inner.all(s), insert: (t, r) => inner.insert(t, r), transaction: (f) => inner.transaction(f), close: () => inner.close() };
    try {
      const zip = join(dir, 'sor-global-2025-11-01-full.zip');
      await writeSyntheticDay(zip, { day: '2025-11-01', rows: 300, rowsPerCsv: 100, csvsPerZip: 2, seed: 5 });
      const r = await importDsaDay(e, zip);
      expect(r.rowsLoaded).toBe(300);
      const deletes = seen.filter((s) => /^\s*DELETE\b/i.test(s));
      expect(deletes.length).toBeGreaterThanOrEqual(3);
      for (const d of deletes) expect(clusterDelete(d, 'main')).toMatch(/^\s*DELETE FROM ledger_[a-z_]+_local ON CLUSTER 'main' WHERE /);
      // and nothing else deletes or mutates
      expect(seen.filter((s) => /\bALTER\s+TABLE\b|\bTRUNCATE\b/i.test(s))).toEqual([]);
    } finally {
      await inner.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
