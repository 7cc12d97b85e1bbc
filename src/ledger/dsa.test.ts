/**
 * DSA daily dumps: the shipped sample, synthetic days packed like the real dumps (zip of zips of CSV parts, both
 * column sets), and mutated copies (bad checksum, truncated inner zip, a row with a wrong column count, an import
 * stopped midway), on DuckDB and on the ClickHouse engine (chdb).
 */
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../platform/audit.js';
import { openDuckLedger, type LedgerEngine } from './engine.js';
import { openChdbLedger } from './chdb-engine.js';
import { DSA_COLUMNS_V2, EEA30, EU27, synthCsv, writeSyntheticDay } from './import/dsa-synth.js';
import { importDsaDay, scopeClass } from './import/dsa.js';
import { parse as parseCsv } from 'csv-parse/sync';
import { fileDigests } from './import/common.js';
import { listImports } from './store.js';
import { runQuery } from './queries.js';
import { captureCli } from '../platform/testing.js';
import { main } from '../cli.js';

const SAMPLE = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'transparency', 'dsa', 'sor-global-2025-07-01-full-sample.csv');
const viewer: Actor = { userId: null, label: 'test', orgId: 'org-a', role: 'viewer' };
const dir = mkdtempSync(join(tmpdir(), 'ledger-dsa-test-'));

/** Packs CSV texts as the dumps do: outer zip → inner `.csv.zip` files → CSV parts. `truncate` cuts an inner zip short. */
async function packDay(path: string, inner: { name: string; csvs: { name: string; text: string }[]; truncate?: boolean; flip?: boolean; understate?: boolean }[]) {
  const outer = new yazl.ZipFile();
  const done = new Promise<void>((res) => outer.outputStream.pipe(createWriteStream(path)).on('close', () => res()));
  for (const z of inner) {
    const zf = new yazl.ZipFile();
    const chunks: Buffer[] = [];
    const end = new Promise<void>((res) => zf.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => res()));
    for (const c of z.csvs) zf.addBuffer(Buffer.from(c.text), c.name);
    zf.end();
    await end;
    let buf = Buffer.concat(chunks);
    if (z.truncate) buf = buf.subarray(0, Math.floor(buf.length / 2));
    if (z.understate) {
      // the central directory says the first entry unpacks to 1,000 bytes; it unpacks to far more
      buf = Buffer.from(buf);
      buf.writeUInt32LE(1000, buf.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 24);
    }
    if (z.flip) {
      // one byte in the middle of the first entry's compressed data: the zip's directory still reads
      buf = Buffer.from(buf);
      const at = 30 + buf.readUInt16LE(26) + buf.readUInt16LE(28) + Math.floor(buf.readUInt32LE(18) / 2);
      buf[at] = buf[at]! ^ 0x55;
    }
    outer.addBuffer(buf, z.name, { compress: false });
  }
  outer.end();
  await done;
  writeFileSync(`${path}.sha1`, `${(await fileDigests(path)).sha1}  x.zip\n`);
}

const csvText = (day: string, start: number, count: number, seed: number) => [...synthCsv({ day, start, count, columns: DSA_COLUMNS_V2, seed })].join('');
const total = async (e: LedgerEngine, from?: string) =>
  (await runQuery(e, 'dsaVolumes', { by: 'day', ...(from ? { from, to: from } : {}) }, viewer)).rows.reduce((s, r) => s + Number(r.statements), 0);

describe.each([
  ['duckdb', openDuckLedger],
  ['chdb', openChdbLedger],
] as const)('DSA dumps on %s', (_name, open) => {
  let e: LedgerEngine;
  beforeAll(async () => {
    e = await open();
  });
  afterAll(async () => {
    await e?.close();
  });

  it('parses the shipped sample (3 statements of reasons, schema v2)', async () => {
    const r = await importDsaDay(e, SAMPLE);
    expect(r).toMatchObject({ status: 'done', rowsLoaded: 3, rowsFlagged: 0, checksum: 'not checked' });
    const v = await runQuery(e, 'dsaVolumes', { from: '2025-07-01', to: '2025-07-01', by: 'platform_name,category,decision_ground,automated_decision,scope_class' }, viewer);
    expect(v.caveat).toMatch(/no denominator/);
    expect(v.rows).toEqual([
      { platform_name: 'Hotel Hideaway', category: 'STATEMENT_CATEGORY_CYBER_VIOLENCE', decision_ground: 'DECISION_GROUND_INCOMPATIBLE_CONTENT', automated_decision: 'AUTOMATED_DECISION_FULLY', scope_class: 'EEA', statements: 1 },
      { platform_name: 'Kleinanzeigen', category: 'STATEMENT_CATEGORY_SCAMS_AND_FRAUD', decision_ground: 'DECISION_GROUND_INCOMPATIBLE_CONTENT', automated_decision: 'AUTOMATED_DECISION_FULLY', scope_class: 'DE', statements: 1 },
      { platform_name: 'Wallapop', category: 'STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS', decision_ground: 'DECISION_GROUND_INCOMPATIBLE_CONTENT', automated_decision: 'AUTOMATED_DECISION_PARTIALLY', scope_class: 'EU', statements: 1 },
    ]);
  });

  it('loads the real sample packed by another zip program (Info-ZIP: stored outer zip, deflated inner zip), checksum verified', async () => {
    // src/ledger/fixtures/infozip-…zip: the shipped sample as the dumps are packed, made with Info-ZIP's zip 3.0
    // rather than this project's yazl, so that unpacking is checked against a zip it did not write. Its three
    // statements are the sample's, loaded by the test before: they are read and matched by uuid, and count once.
    const r = await importDsaDay(e, join(import.meta.dirname, 'fixtures', 'infozip-sor-global-2025-07-01-full.zip'));
    expect(r).toMatchObject({ status: 'done', checksum: 'verified', rowsRead: 3, rowsLoaded: 0, rowsDuplicate: 3, rowsFlagged: 0 });
    expect(r.duplicateOf).toEqual([{ importId: expect.any(String), file: 'sor-global-2025-07-01-full-sample.csv', rows: 3 }]);
    expect(r.parts!.map((p) => p.part)).toEqual(['sor-global-2025-07-01-full-00000.csv.zip/sor-global-2025-07-01-full-00000-00000.csv']);
    expect(await total(e, '2025-07-01')).toBe(3);
  });

  it('loads a synthetic day packed like the real dumps with the row count exact, and again changes nothing', async () => {
    const path = join(dir, `${_name}-sor-global-2025-08-01-full.zip`);
    const w = await writeSyntheticDay(path, { day: '2025-08-01', rows: 2345, rowsPerCsv: 500, csvsPerZip: 2, seed: 7 });
    expect(w.parts).toHaveLength(5);
    const r = await importDsaDay(e, path);
    expect(r).toMatchObject({ status: 'done', checksum: 'verified', rowsLoaded: 2345, rowsFlagged: 0 });
    expect(await total(e, '2025-08-01')).toBe(2345);
    const again = await importDsaDay(e, path);
    expect(again.skipped).toBe(true);
    expect(await total(e, '2025-08-01')).toBe(2345);
  });

  it('loads the older column set', async () => {
    const path = join(dir, `${_name}-old.zip`);
    await writeSyntheticDay(path, { day: '2024-03-01', rows: 700, rowsPerCsv: 400, csvsPerZip: 1, columns: 'old', seed: 3 });
    const r = await importDsaDay(e, path);
    expect(r).toMatchObject({ status: 'done', rowsLoaded: 700, rowsFlagged: 0 });
  });

  it('refuses a dump whose checksum does not match, loading nothing', async () => {
    const path = join(dir, `${_name}-badsum.zip`);
    await writeSyntheticDay(path, { day: '2025-08-02', rows: 300, rowsPerCsv: 100, csvsPerZip: 2, seed: 8 });
    writeFileSync(`${path}.sha1`, `${'0'.repeat(40)}  sor-global-2025-08-02-full.zip\n`);
    await expect(importDsaDay(e, path)).rejects.toThrow(/published checksum is 0{40}.*nothing was loaded/);
    expect(await total(e, '2025-08-02')).toBe(0);
  });

  it('flags a truncated inner zip by name and loads the other parts, none of it half-loaded', async () => {
    const day = '2025-08-03';
    const a = csvText(day, 0, 120, 1);
    const b = csvText(day, 120, 80, 2);
    const path = join(dir, `${_name}-trunc.zip`);
    await packDay(path, [
      { name: 'sor-global-2025-08-03-full-00000.csv.zip', csvs: [{ name: 'p-00000-00000.csv', text: a }] },
      { name: 'sor-global-2025-08-03-full-00001.csv.zip', csvs: [{ name: 'p-00001-00000.csv', text: b }], truncate: true },
    ]);
    const r = await importDsaDay(e, path);
    expect(r.status).toBe('failed');
    expect(r.failedParts).toHaveLength(1);
    expect(r.failedParts[0]!.part).toBe('sor-global-2025-08-03-full-00001.csv.zip');
    expect(r.failedParts[0]!.error).toMatch(/inner zip unreadable/);
    expect(r.flags.some((f) => f.part === 'sor-global-2025-08-03-full-00001.csv.zip' && /part not loaded/.test(f.reason))).toBe(true);
    expect(await total(e, day)).toBe(120); // no half-loaded part
  });

  it('flags rows with a wrong column count or a missing uuid, with the line, losing none', async () => {
    const day = '2025-08-04';
    const lines = csvText(day, 0, 50, 4).split('\n');
    lines[10] = `${lines[10]},extra`; // data line 10 → file line 11
    lines[20] = lines[20]!.replace(/^[^,]+/, ''); // uuid removed
    const path = join(dir, `${_name}-cols.zip`);
    await packDay(path, [{ name: 'sor-global-2025-08-04-full-00000.csv.zip', csvs: [{ name: 'p.csv', text: lines.join('\n') }] }]);
    const r = await importDsaDay(e, path);
    expect(r).toMatchObject({ status: 'done', rowsLoaded: 48, rowsFlagged: 2, rowsRead: 50 });
    const tooMany = r.flags.find((f) => /TOO MANY COLUMNS/.test(f.reason))!;
    expect(tooMany.row_no).toBe(11);
    expect(tooMany.raw).toContain(',extra');
    expect(r.flags.some((f) => f.reason === 'uuid is empty')).toBe(true);
    expect(await total(e, day)).toBe(48);
  });

  it('classes territorial scopes as scopeClass() does, whatever the engine', async () => {
    const day = '2025-08-06';
    const q = (x: string) => `"${x.replace(/"/g, '""')}"`;
    const scopes = [
      '["DE"]', '["de"]', '["D1"]', ' ["FR"] ', '[]', '', ' [] ', '["AT","BE"]', JSON.stringify(EEA30), JSON.stringify(EU27),
      JSON.stringify([...EU27.slice(1), 'NO']), '["DE", "FR"]', '[DE]', '["XK"]', '["1"]',
    ];
    const lines = csvText(day, 0, scopes.length, 5).split('\n');
    const idx = lines[0]!.split(',').indexOf('territorial_scope');
    const text = [lines[0], ...scopes.map((sc, i) => {
      const rec = (parseCsv(lines[i + 1]!) as string[][])[0]!;
      rec[idx] = sc;
      return rec.map(q).join(',');
    })].join('\n');
    const path = join(dir, `${_name}-scopes.zip`);
    await packDay(path, [{ name: 'sor-global-2025-08-06-full-00000.csv.zip', csvs: [{ name: 's.csv', text }] }]);
    const r = await importDsaDay(e, path);
    expect(r).toMatchObject({ status: 'done', rowsLoaded: scopes.length, rowsFlagged: 0 });
    const got = await e.all(`SELECT territorial_scope, scope_class FROM ledger_dsa WHERE day = '2025-08-06'`);
    const byRaw = new Map(got.map((g) => [String(g.territorial_scope), String(g.scope_class)]));
    for (const sc of scopes) expect([sc, byRaw.get(sc)]).toEqual([sc, scopeClass(sc)]);
    expect(byRaw.get('["DE"]')).toBe('DE');
    expect(byRaw.get(JSON.stringify(EEA30))).toBe('EEA');
    expect(byRaw.get(JSON.stringify(EU27))).toBe('EU');
  });

  it('fails a part whose compressed bytes were damaged (CRC or inflate error), loading none of it', async () => {
    const day = '2025-08-07';
    const good = csvText(day, 0, 40, 6);
    const bad = csvText(day, 40, 3000, 7);
    const path = join(dir, `${_name}-crc.zip`);
    await packDay(path, [
      { name: 'sor-global-2025-08-07-full-00000.csv.zip', csvs: [{ name: 'g.csv', text: good }] },
      { name: 'sor-global-2025-08-07-full-00001.csv.zip', csvs: [{ name: 'b.csv', text: bad }], flip: true },
    ]);
    const r = await importDsaDay(e, path);
    expect(r.status).toBe('failed');
    expect(r.failedParts.map((f) => f.part)).toEqual(['sor-global-2025-08-07-full-00001.csv.zip/b.csv']);
    expect(r.failedParts[0]!.error).toMatch(/CRC-32|invalid|incorrect|unexpected end|truncated/i);
    expect(await total(e, day)).toBe(40);
  });

  it('stops unpacking a part that inflates beyond its declared size, loading none of it', async () => {
    const day = '2025-08-08';
    const path = join(dir, `${_name}-bomb.zip`);
    await packDay(path, [
      { name: 'sor-global-2025-08-08-full-00000.csv.zip', csvs: [{ name: 'g.csv', text: csvText(day, 0, 30, 8) }] },
      { name: 'sor-global-2025-08-08-full-00001.csv.zip', csvs: [{ name: 'b.csv', text: csvText(day, 30, 500, 9) }], understate: true },
    ]);
    const r = await importDsaDay(e, path);
    expect(r.status).toBe('failed');
    expect(r.failedParts.map((f) => f.part)).toEqual(['sor-global-2025-08-08-full-00001.csv.zip/b.csv']);
    expect(r.failedParts[0]!.error).toMatch(/unpacks to more than the 1000 bytes the zip records/);
    expect(await total(e, day)).toBe(30);
  });

  it('counts a statement once when another packaging of the day carries it again (same uuid)', async () => {
    // the day's global dump, then a dump that repeats 100 of its statements (another packaging, or a platform's own)
    const day = '2025-08-20';
    const full = join(dir, `${_name}-sor-global-${day}-full.zip`);
    await packDay(full, [{ name: 'g-00000.csv.zip', csvs: [{ name: 'a.csv', text: csvText(day, 0, 200, 20) }, { name: 'b.csv', text: csvText(day, 200, 200, 21) }] }]);
    const other = join(dir, `${_name}-sor-someplatform-${day}.zip`);
    await packDay(other, [{ name: 'p-00000.csv.zip', csvs: [{ name: 'a.csv', text: csvText(day, 300, 120, 22) }, { name: 'b.csv', text: csvText(day, 420, 130, 23) }] }]);
    expect(await importDsaDay(e, full)).toMatchObject({ status: 'done', rowsLoaded: 400, rowsDuplicate: 0, duplicateOf: [] });
    const r = await importDsaDay(e, other);
    expect(r).toMatchObject({ status: 'done', rowsRead: 250, rowsLoaded: 150, rowsDuplicate: 100, rowsFlagged: 0 });
    expect(r.duplicateOf).toEqual([{ importId: expect.any(String), file: `${_name}-sor-global-${day}-full.zip`, rows: 100 }]);
    expect(r.parts!.map((p) => p.rowsDuplicate)).toEqual([100, 0]);
    // the import list (GET /api/ledger/imports) says the same
    expect((await listImports(e)).find((i) => i.id === r.importId)).toMatchObject({ status: 'done', rows_loaded: 150, rows_flagged: 0, rows_duplicate: 100 });
    expect(await total(e, day)).toBe(550);
    const n = (await e.all(`SELECT count(*) AS n, count(DISTINCT uuid) AS u FROM ledger_dsa WHERE day = '${day}'`))[0]!;
    expect([Number(n.n), Number(n.u)]).toEqual([550, 550]);
    // run again: nothing changes, and the summary still says where the 100 are
    const again = await importDsaDay(e, other);
    expect(again).toMatchObject({ skipped: true, rowsRead: 250, rowsLoaded: 150, rowsDuplicate: 100 });
    expect(await total(e, day)).toBe(550);
  });

  it('resumes an import stopped midway and ends identical to a clean run', async () => {
    const path = join(dir, `${_name}-resume.zip`);
    await writeSyntheticDay(path, { day: '2025-08-05', rows: 900, rowsPerCsv: 300, csvsPerZip: 1, seed: 9 });
    await expect(
      importDsaDay(e, path, {
        onProgress: (done) => {
          if (done === 2) throw new Error('stopped');
        },
      }),
    ).rejects.toThrow('stopped');
    const mid = await total(e, '2025-08-05');
    expect(mid).toBe(600); // two whole parts, nothing of the third
    const r = await importDsaDay(e, path);
    expect(r).toMatchObject({ status: 'done', rowsLoaded: 900 });
    expect(r.parts!.filter((p) => p.skipped)).toHaveLength(2);
    expect(await total(e, '2025-08-05')).toBe(900);
    const uuids = await e.all(`SELECT count(DISTINCT uuid) AS n FROM ledger_dsa WHERE day = '2025-08-05'`);
    expect(Number(uuids[0]!.n)).toBe(900);
  });
});

describe('ledger import dsa (the command)', () => {
  it('says which earlier file already holds the statements it did not load again', async () => {
    const env = { STACKWATCH_DATA_DIR: join(dir, 'cli-data') };
    const first = await captureCli(main, ['ledger', 'import', 'dsa', SAMPLE, '--quiet'], env);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/3 rows read, 3 loaded, 0 flagged/);
    const second = await captureCli(main, ['ledger', 'import', 'dsa', join(import.meta.dirname, 'fixtures', 'infozip-sor-global-2025-07-01-full.zip'), '--quiet'], env);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/3 rows read, 0 loaded, 0 flagged/);
    expect(second.out).toContain('3 statements already loaded from sor-global-2025-07-01-full-sample.csv: counted once, not loaded again');
  });
});

describe('DSA import memory on a file-backed DuckDB', () => {
  it("runs at the import limit and puts the ledger's own limit back afterwards", async () => {
    const e = await openDuckLedger(join(dir, 'mem.duckdb'));
    try {
      const limit = async () => String((await e.all(`SELECT current_setting('memory_limit') AS m`))[0]!.m);
      expect(await limit()).toBe('512.0 MiB');
      const path = join(dir, 'mem.zip');
      await writeSyntheticDay(path, { day: '2025-09-02', rows: 600, rowsPerCsv: 200, csvsPerZip: 2, seed: 12 });
      const seen: Promise<string>[] = [];
      const r = await importDsaDay(e, path, { onProgress: () => void seen.push(limit()) });
      expect(r).toMatchObject({ status: 'done', rowsLoaded: 600 });
      expect(new Set(await Promise.all(seen))).toEqual(new Set(['384.0 MiB']));
      expect(await limit()).toBe('512.0 MiB');
    } finally {
      await e.close();
    }
  });
});

describe('DSA volumes on both engines', () => {
  it('gives the same volumes on DuckDB and on chdb for the same synthetic day', async () => {
    const path = join(dir, 'same.zip');
    await writeSyntheticDay(path, { day: '2025-09-01', rows: 1500, rowsPerCsv: 500, csvsPerZip: 2, seed: 11 });
    const [a, b] = [await openDuckLedger(), await openChdbLedger()];
    try {
      await importDsaDay(a, path);
      await importDsaDay(b, path);
      for (const by of ['platform_name,category,decision_ground,day', 'automated_detection,automated_decision,scope_class', 'source_type,content_type']) {
        const x = await runQuery(a, 'dsaVolumes', { by }, viewer);
        const y = await runQuery(b, 'dsaVolumes', { by }, viewer);
        expect(x.rows.length).toBeGreaterThan(3);
        expect(y.rows).toEqual(x.rows);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
