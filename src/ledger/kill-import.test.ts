/**
 * The real thing for the ledger: `stackwatch ledger import dsa <zip>` in a child process, killed with SIGKILL in the
 * middle of a synthetic day packed like the real dumps, then run again. Nothing may be half-loaded (each CSV part is
 * all or nothing), the re-run must end identical to a clean run (row counts and a checksum of the content, flags
 * included), and malformed rows are flagged, not lost.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yazl from 'yazl';
import { openDuckLedger, type LedgerEngine } from './engine.js';
import { importDsaDay } from './import/dsa.js';
import { DSA_COLUMNS_V2, synthCsv } from './import/dsa-synth.js';
import { fileDigests } from './import/common.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'stackwatch.js');
const INNER = 8; // inner zips, one CSV part each
const PER_PART = 4000;

/** A day as the dumps are packed (outer zip → inner .csv.zip → CSV), with malformed rows in parts 0 and 5. */
async function packDay(path: string): Promise<{ rows: number; malformed: number }> {
  const outer = new yazl.ZipFile();
  const done = new Promise<void>((res) => outer.outputStream.pipe(createWriteStream(path)).on('close', () => res()));
  let malformed = 0;
  for (let z = 0; z < INNER; z++) {
    const lines = [...synthCsv({ day: '2025-10-01', start: z * PER_PART, count: PER_PART, columns: DSA_COLUMNS_V2, seed: 100 + z })].join('').split('\n');
    if (z === 0 || z === 5) {
      lines[10] = `${lines[10]},an extra column`; // wrong column count
      lines[20] = lines[20]!.replace(/2025-10-01 \d\d:\d\d:\d\d$/, '01/10/2025'); // created_at in another format
      malformed += 2;
    }
    const zf = new yazl.ZipFile();
    const chunks: Buffer[] = [];
    const end = new Promise<void>((res) => zf.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => res()));
    zf.addBuffer(Buffer.from(lines.join('\n')), `sor-global-2025-10-01-full-${String(z).padStart(5, '0')}-00000.csv`);
    zf.end();
    await end;
    outer.addBuffer(Buffer.concat(chunks), `sor-global-2025-10-01-full-${String(z).padStart(5, '0')}.csv.zip`, { compress: false });
  }
  outer.end();
  await done;
  writeFileSync(`${path}.sha1`, `${(await fileDigests(path)).sha1}  sor-global-2025-10-01-full.zip\n`); // as the database publishes it
  return { rows: INNER * PER_PART, malformed };
}

/** Counts and a checksum of everything the import left: rows, parts, flags and the import's record. */
async function state(e: LedgerEngine) {
  const one = async (sql: string) => (await e.all(sql))[0]!;
  const dsa = await one(`SELECT count(*) AS n, count(DISTINCT uuid) AS uuids,
      md5(coalesce(string_agg(concat_ws('|', uuid, platform_name, category, decision_ground, decision_visibility, decision_account, automated_detection,
        automated_decision, territorial_scope, scope_class, source_type, content_type, CAST(created_at AS VARCHAR), CAST(day AS VARCHAR), file_sha256, part), '\n'
        ORDER BY part, uuid), '')) AS sum FROM ledger_dsa`);
  const flags = await one(`SELECT count(*) AS n, md5(coalesce(string_agg(concat_ws('|', part, row_no, reason, raw), '\n' ORDER BY part, row_no, reason, raw), '')) AS sum FROM ledger_flags`);
  const parts = await e.all('SELECT part, rows_loaded, rows_flagged FROM ledger_parts ORDER BY part');
  // the import's record is versioned (one row per update): its latest version
  const imports = (await e.all('SELECT status, rows_loaded, rows_flagged FROM ledger_imports ORDER BY version DESC LIMIT 1')).map((r) => ({ status: r.status, rows_loaded: Number(r.rows_loaded), rows_flagged: Number(r.rows_flagged) }));
  // every part either wholly there or absent: its rows and flags match its bookkeeping, and no rows of unrecorded parts
  const halfLoaded = await e.all(`SELECT coalesce(p.part, d.part) AS part FROM ledger_parts p FULL JOIN (SELECT part, count(*) AS n FROM ledger_dsa GROUP BY part) d ON d.part = p.part
      WHERE p.part IS NULL OR coalesce(d.n, 0) <> p.rows_loaded
         OR p.rows_flagged <> (SELECT count(*) FROM ledger_flags f WHERE f.part = p.part)`);
  return { rows: Number(dsa.n), uuids: Number(dsa.uuids), rowsSum: String(dsa.sum), flags: Number(flags.n), flagsSum: String(flags.sum), parts: parts.map((p) => ({ ...p, rows_loaded: Number(p.rows_loaded), rows_flagged: Number(p.rows_flagged) })), imports, halfLoaded };
}

async function stateOf(path: string) {
  const e = await openDuckLedger(path);
  try {
    return await state(e);
  } finally {
    await e.close();
  }
}

describe('a DSA import killed midway (kill -9)', () => {
  it('leaves whole parts only; the re-run ends identical to a clean run, malformed rows flagged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-kill-'));
    try {
      const zip = join(dir, 'sor-global-2025-10-01-full.zip');
      const day = await packDay(zip);
      const killedDir = join(dir, 'killed');
      const env = { ...process.env, STACKWATCH_DATA_DIR: killedDir, LEDGER_CLICKHOUSE_URL: '' };

      const child = spawn(process.execPath, [BIN, 'ledger', 'import', 'dsa', zip], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exit = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, sig) => res(sig)));
      // The progress line appears once the first inner zip is loaded: kill at once, in the middle of the next parts.
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (/ [1-9]\/8 /.test(out)) {
            clearInterval(timer);
            child.kill('SIGKILL');
            resolve();
          }
        }, 5);
        void exit.then((sig) => {
          clearInterval(timer);
          if (sig !== 'SIGKILL') reject(new Error(`the import ended before it could be killed:\n${out.slice(-800)}`));
        });
      });
      expect(await exit).toBe('SIGKILL');

      const partial = await stateOf(join(killedDir, 'ledger.duckdb'));
      expect(partial.halfLoaded).toEqual([]);
      expect(partial.parts.length).toBeGreaterThan(0);
      expect(partial.parts.length).toBeLessThan(INNER);
      expect(partial.rows).toBeLessThan(day.rows - day.malformed);
      expect(partial.imports).toEqual([{ status: 'running', rows_loaded: 0, rows_flagged: 0 }]);

      const rerun = spawnSync(process.execPath, [BIN, 'ledger', 'import', 'dsa', zip, '--quiet'], { env, encoding: 'utf8' });
      expect(rerun.stderr).toBe('');
      expect(rerun.status).toBe(0);
      expect(rerun.stdout).toMatch(new RegExp(`done — ${day.rows} rows read, ${day.rows - day.malformed} loaded, ${day.malformed} flagged`));
      expect(rerun.stdout).toMatch(/checksum: verified/);

      // a clean, uninterrupted import of the same file
      const clean = await openDuckLedger(join(dir, 'clean.duckdb'));
      try {
        const s = await importDsaDay(clean, zip);
        expect(s).toMatchObject({ status: 'done', rowsRead: day.rows, rowsLoaded: day.rows - day.malformed, rowsFlagged: day.malformed });
      } finally {
        await clean.close();
      }

      const a = await stateOf(join(killedDir, 'ledger.duckdb'));
      const b = await stateOf(join(dir, 'clean.duckdb'));
      expect(a).toEqual(b);
      expect(a.halfLoaded).toEqual([]);
      expect(a.rows).toBe(day.rows - day.malformed);
      expect(a.uuids).toBe(a.rows);
      expect(a.flags).toBe(day.malformed);
      expect(a.parts).toHaveLength(INNER);
      expect(a.imports).toEqual([{ status: 'done', rows_loaded: day.rows - day.malformed, rows_flagged: day.malformed }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
