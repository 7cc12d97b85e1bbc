/**
 * Benchmark: how long `loadHistory` takes to load the shipped STOP workbook and IODA outages into a fresh registry.
 * Run: `npx tsx src/incidents/import/bench.ts [--data-dir DIR]` (PGlite in memory by default, on disk with --data-dir,
 * a PostgreSQL server with DATABASE_URL). Baseline, measured in the same run: the same import with one row per
 * transaction (batch size 1) — what a naive row-by-row importer costs — and the 30 s first-start target.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { openDb, type Db } from '../../platform/db.js';
import { migrate } from '../../platform/migrate.js';
import { loadHistory } from './service.js';

const SEED = join(dirname(fileURLToPath(import.meta.url)), '../../../seed');
const { values } = parseArgs({ options: { 'data-dir': { type: 'boolean' } } });

async function fresh(): Promise<{ db: Db; cleanup: () => Promise<void> }> {
  if (process.env.DATABASE_URL) {
    throw new Error('point DATABASE_URL at an empty database per run; this benchmark creates its own PGlite databases instead');
  }
  if (values['data-dir']) {
    const dir = mkdtempSync(join(tmpdir(), 'sw-bench-'));
    const db = await openDb({ dataDir: dir });
    return { db, cleanup: async () => { await db.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const db = await openDb({ dataDir: 'memory://' });
  return { db, cleanup: () => db.close() };
}

async function once(batchSize?: number) {
  const { db, cleanup } = await fresh();
  try {
    await migrate(db);
    const org = randomUUID();
    await db.query(`insert into orgs (id, name) values ($1, 'Bench')`, [org]);
    const t0 = performance.now();
    const r = await loadHistory(db, org, SEED, batchSize ? { batchSize } : {});
    const ms = performance.now() - t0;
    const again0 = performance.now();
    await loadHistory(db, org, SEED);
    const againMs = performance.now() - again0;
    return { ms, againMs, stop: r.stop!, ioda: r.ioda! };
  } finally {
    await cleanup();
  }
}

const where = values['data-dir'] ? 'PGlite on disk' : 'PGlite in memory';
const best = await once();
const naive = await once(1);
const line = (label: string, ms: number) => `${label.padEnd(44)} ${(ms / 1000).toFixed(2).padStart(7)} s`;
console.log(`loadHistory on ${where} (STOP ${best.stop.rowsRead} rows, IODA ${best.ioda.rowsRead} rows; ${best.stop.imported + best.ioda.imported} incidents, ${best.stop.merged + best.ioda.merged} merged)`);
console.log(line('batched (250 rows per transaction)', best.ms));
console.log(line('baseline: one row per transaction', naive.ms));
console.log(line('target for first start', 30_000));
console.log(line('second start (files already imported)', best.againMs));
console.log(`speed-up over the baseline: ${(naive.ms / best.ms).toFixed(1)}x; rows per second: ${Math.round((best.stop.rowsRead + best.ioda.rowsRead) / (best.ms / 1000))}`);
