/**
 * EU DSA Transparency Database daily dumps, as published: a zip (sor-global-YYYY-MM-DD-full.zip) holding zips of
 * CSV parts, each holding CSV files. Streamed: the outer zip is read entry by entry (yauzl), one inner zip and one
 * CSV part at a time go through a temporary file, never a whole dump in memory.
 *
 *  - Checksum: the SHA-1 the database publishes beside each dump (`<zip>.sha1`, or `--sha1`) is checked before
 *    anything is loaded; a mismatch stops the import with nothing written.
 *  - Columns are read by name from each part's header, so the older and the current (v2, 38 columns) sets both load;
 *    a part without a required column fails with the column named.
 *  - Unit of work: one CSV part, all-or-nothing (a DuckDB transaction; on ClickHouse, delete-by-key then insert). A
 *    re-run skips parts already loaded, so a killed import resumes where it stopped and ends identical to a clean run.
 *  - Malformed rows (wrong column count, unterminated quote, missing uuid/platform/date) are flagged with the reason
 *    and the line; a part that cannot be read (a truncated inner zip) is flagged as a whole and the import ends
 *    "failed", naming it, with the other parts loaded.
 *
 * On DuckDB the CSV text is parsed by DuckDB's own reader (read_csv, with rejected lines stored); on ClickHouse by
 * csv-parse, streamed in batches to the server.
 */
import { createReadStream, createWriteStream, existsSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { parse as parseStream } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import yauzl from 'yauzl';
import { AppError } from '../../core/errors.js';
import { duckImportMemoryLimit, lit, type LedgerEngine } from '../engine.js';
import { DsaRollupCounter, dsaRollupInsertSql } from '../rollup.js';
import { getImport, importIdFor, insertFlags, listFlags, recordImport, type Flag, type ImportRecord, type ImportSummary } from '../store.js';
import { fileDigests } from './common.js';

export const DSA_REQUIRED = ['uuid', 'decision_ground', 'category', 'platform_name', 'created_at'] as const;
export const DSA_USED = [...DSA_REQUIRED, 'decision_visibility', 'decision_account', 'automated_detection', 'automated_decision', 'territorial_scope', 'source_type', 'content_type'] as const;

/** The territorial scope as a class: EEA (30 codes), EU (27), one country's code, several, or none. */
export function scopeClass(ts: string): string {
  const s = ts.trim();
  if (s === '' || s === '[]') return 'none';
  const commas = s.length - s.replace(/,/g, '').length;
  if (commas === 0) return s.replace(/[^A-Za-z]/g, '').toUpperCase();
  if (commas === 29) return 'EEA';
  if (commas === 26 && !s.includes('"IS"') && !s.includes('"LI"') && !s.includes('"NO"')) return 'EU';
  return 'multiple';
}

const TS_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** Why a row of a part cannot be loaded, or null. Same rules as the DuckDB SQL below. */
export function dsaRowProblem(v: Record<string, string>): string | null {
  if (!v.uuid) return 'uuid is empty';
  if (!v.platform_name) return 'platform_name is empty';
  if (!v.decision_ground) return 'decision_ground is empty';
  if (!v.category) return 'category is empty';
  if (!TS_RE.test(v.created_at ?? '') || Number.isNaN(Date.parse(`${(v.created_at ?? '').replace(' ', 'T')}Z`))) return `created_at "${v.created_at ?? ''}" is not YYYY-MM-DD HH:MM:SS`;
  return null;
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((res, rej) => yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, zf) => (err || !zf ? rej(err ?? new Error('cannot open zip')) : res(zf))));
}

async function* entries(zf: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  const queue: (yauzl.Entry | null | Error)[] = [];
  let wake: (() => void) | null = null;
  zf.on('entry', (e: yauzl.Entry) => (queue.push(e), wake?.()));
  zf.on('end', () => (queue.push(null), wake?.()));
  zf.on('error', (err: Error) => (queue.push(err), wake?.()));
  zf.readEntry();
  for (;;) {
    if (!queue.length) await new Promise<void>((r) => (wake = r));
    wake = null;
    const x = queue.shift()!;
    if (x === null) return;
    if (x instanceof Error) throw x;
    yield x;
    zf.readEntry();
  }
}

/** Big output chunks: inflating with zlib's default 16 KiB chunks cost three times as much CPU (mostly allocation). */
const INFLATE_CHUNK = 1 << 20;

/**
 * Unpacks one entry to a file: the stored bytes are inflated here (not by yauzl, whose inflater writes 16 KiB chunks),
 * and the result must have the size and the CRC-32 that the zip's directory records (the CRC-32 where Node has
 * zlib.crc32, 20.15 and later); a truncated or damaged entry is an error naming what differs.
 */
async function extract(zf: yauzl.ZipFile, entry: yauzl.Entry, to: string): Promise<void> {
  if (entry.isEncrypted()) throw new Error(`${entry.fileName}: the entry is encrypted`);
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) throw new Error(`${entry.fileName}: compression method ${entry.compressionMethod} is not supported (only stored and deflate)`);
  const raw = await new Promise<Readable>((res, rej) => zf.openReadStream(entry, { decodeFileData: false }, (err, s) => (err || !s ? rej(err ?? new Error('no stream')) : res(s as Readable))));
  let bytes = 0;
  let crc = 0;
  const crc32 = (zlib as { crc32?: (b: Buffer, c: number) => number }).crc32;
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      // stop at once when an entry inflates beyond the size its zip declares (a damaged file or a zip bomb), before
      // it fills the disk
      if (bytes > entry.uncompressedSize) return cb(new Error(`${entry.fileName}: unpacks to more than the ${entry.uncompressedSize} bytes the zip records (damaged)`));
      if (crc32) crc = crc32(chunk, crc);
      cb(null, chunk);
    },
  });
  const out = createWriteStream(to, { highWaterMark: INFLATE_CHUNK });
  if (entry.compressionMethod === 8) await pipeline(raw, zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK }), check, out);
  else await pipeline(raw, check, out);
  if (bytes !== entry.uncompressedSize) throw new Error(`${entry.fileName}: unpacked ${bytes} bytes, the zip records ${entry.uncompressedSize} (truncated or damaged)`);
  if (crc32 && crc >>> 0 !== entry.crc32 >>> 0) throw new Error(`${entry.fileName}: CRC-32 of the unpacked bytes does not match the zip's (damaged)`);
}

function headerOf(csvPath: string): string[] {
  const fd = openSync(csvPath, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8').replace(/^\uFEFF/, '');
    const line = text.split('\n', 1)[0] ?? '';
    return ((parseSync(line) as string[][])[0] ?? []).map((h) => h.trim());
  } finally {
    closeSync(fd);
  }
}

interface PartResult {
  part: string;
  rowsLoaded: number;
  rowsFlagged: number;
  /** Statements another import had loaded already (same uuid), not loaded again. */
  rowsDuplicate: number;
  skipped: boolean;
  error?: string;
}

/**
 * A statement of reasons has one uuid for good, and the database publishes each day in several packagings (the
 * global dump in "full" and "light", a dump per platform), so two files can carry the same statements. Counted twice,
 * they would double a platform's figures. A part's rows whose uuid another import has loaded already, on the same
 * days, are deleted again in the part's transaction and counted per other import in ledger_dups: the first file
 * loaded keeps them. Costs one small query on the rollup when no other import holds statements of the part's days.
 */
async function dropKnownDuck(e: LedgerEngine, importId: string, part: string): Promise<number> {
  const id = lit('duckdb', importId);
  const p = lit('duckdb', part);
  // the part's days from its rollup rows, just written (a few per day), not from its million detail rows
  const days = (await e.all(`SELECT DISTINCT CAST(day AS VARCHAR) AS day FROM ledger_dsa_rollup WHERE import_id = ${id} AND part = ${p}`)).map((r) => `CAST(${lit('duckdb', String(r.day))} AS DATE)`);
  const others = await otherImportsOn(e, importId, days);
  if (!others.length) return 0;
  // The part's uuids (a million at most) are the hash table; the other imports' rows of those days stream past it.
  await e.run(`CREATE OR REPLACE TEMP TABLE dsa_known AS SELECT uuid, min(import_id) AS other FROM ledger_dsa
      WHERE day IN (${days.join(', ')}) AND import_id IN (${others.map((o) => lit('duckdb', o)).join(', ')})
        AND uuid IN (SELECT uuid FROM ledger_dsa WHERE import_id = ${id} AND part = ${p}) GROUP BY uuid`);
  await e.run(`INSERT INTO ledger_dups SELECT ${id}, ${p}, other, count(*) FROM dsa_known GROUP BY other`);
  const del = await e.all(`DELETE FROM ledger_dsa WHERE import_id = ${id} AND part = ${p} AND uuid IN (SELECT uuid FROM dsa_known)`);
  await e.run('DROP TABLE dsa_known');
  const n = Number(Object.values(del[0] ?? {})[0] ?? 0);
  if (n) {
    // the rollup is counted again from the rows that stay
    await e.run(`DELETE FROM ledger_dsa_rollup WHERE import_id = ${id} AND part = ${p}`);
    await e.run(dsaRollupInsertSql('ledger_dsa', `import_id = ${id} AND part = ${p}`));
  }
  return n;
}

/** The other imports that loaded statements of these days (read from the rollup, a few rows per part and day). */
async function otherImportsOn(e: LedgerEngine, importId: string, days: string[]): Promise<string[]> {
  if (!days.length) return [];
  const rows = await e.all(`SELECT DISTINCT import_id FROM ledger_dsa_rollup WHERE day IN (${days.join(', ')}) AND import_id <> ${lit(e.dialect, importId)}`);
  return rows.map((r) => String(r.import_id));
}

async function loadPartDuck(e: LedgerEngine, importId: string, sha256: string, part: string, csv: string, header: string[]): Promise<PartResult> {
  const d = 'duckdb' as const;
  const id = lit(d, importId);
  const p = lit(d, part);
  const cols = `{${header.map((h) => `${lit(d, h)}: 'VARCHAR'`).join(', ')}}`;
  const has = (c: string) => header.includes(c);
  const col = (c: string) => (has(c) ? `coalesce("${c}", '')` : `''`);
  const ts = col('territorial_scope');
  const commas = `(length(${ts}) - length(replace(${ts}, ',', '')))`;
  // scopeClass() in SQL. One member state written as ["DE"] takes a cheap first branch: the regular expression and the
  // comma count, for every row, cost about a sixth of the whole load (synthetic day: a quarter of rows name one state).
  const letter = (i: number) => `ascii(upper(${ts}[${i}])) BETWEEN 65 AND 90`;
  const scope = `CASE WHEN ${ts} LIKE '["__"]' AND ${letter(3)} AND ${letter(4)} THEN upper(${ts}[3:4])
    WHEN trim(${ts}) IN ('', '[]') THEN 'none'
    ELSE CASE ${commas} WHEN 0 THEN upper(regexp_replace(${ts}, '[^A-Za-z]', '', 'g')) WHEN 29 THEN 'EEA'
      WHEN 26 THEN CASE WHEN ${ts} LIKE '%"IS"%' OR ${ts} LIKE '%"LI"%' OR ${ts} LIKE '%"NO"%' THEN 'multiple' ELSE 'EU' END ELSE 'multiple' END END`;
  const created = `try_strptime(${col('created_at')}, '%Y-%m-%d %H:%M:%S')`;
  const reason = `CASE WHEN ${col('uuid')} = '' THEN 'uuid is empty' WHEN ${col('platform_name')} = '' THEN 'platform_name is empty'
    WHEN ${col('decision_ground')} = '' THEN 'decision_ground is empty' WHEN ${col('category')} = '' THEN 'category is empty'
    WHEN NOT regexp_full_match(${col('created_at')}, '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}') OR ${created} IS NULL THEN 'created_at "' || ${col('created_at')} || '" is not YYYY-MM-DD HH:MM:SS' END`;
  // read_csv keeps its default line limit (2 MB; a longer line is rejected and flagged): a larger max_line_size makes
  // DuckDB read in buffers sized from it, which cost a fifth of the load's time and 200–400 MB of memory per part.
  const shaped = `SELECT ${col('uuid')} AS uuid, ${col('platform_name')} AS platform_name, ${col('category')} AS category,
        ${col('decision_ground')} AS decision_ground, ${col('decision_visibility')} AS decision_visibility, ${col('decision_account')} AS decision_account,
        ${col('automated_detection')} AS automated_detection, ${col('automated_decision')} AS automated_decision, ${ts} AS territorial_scope, ${scope} AS scope_class,
        ${col('source_type')} AS source_type, ${col('content_type')} AS content_type, ${created} AS created_at, ${col('created_at')} AS created_raw, ${reason} AS reason
      FROM read_csv(${lit(d, csv)}, header = true, auto_detect = false, columns = ${cols}, delim = ',', quote = '"', escape = '"', strict_mode = true,
        store_rejects = true, rejects_table = 'dsa_rej', rejects_scan = 'dsa_scan')`;
  const detail = `uuid, platform_name, category, decision_ground, decision_visibility, decision_account, automated_detection, automated_decision,
        territorial_scope, scope_class, source_type, content_type, created_at, CAST(created_at AS DATE), ${lit(d, sha256)}, ${p}, 0, ${id}`;
  const begin = async () => {
    await e.run(`DELETE FROM ledger_dsa WHERE import_id = ${id} AND part = ${p}`);
    await e.run(`DELETE FROM ledger_dsa_rollup WHERE import_id = ${id} AND part = ${p}`);
    await e.run(`DELETE FROM ledger_flags WHERE import_id = ${id} AND part = ${p}`);
    await e.run(`DELETE FROM ledger_dups WHERE import_id = ${id} AND part = ${p}`);
    await e.run('DROP TABLE IF EXISTS dsa_rej');
    await e.run('DROP TABLE IF EXISTS dsa_scan');
  };
  const end = async (ok: number): Promise<PartResult> => {
    await e.run(`INSERT INTO ledger_flags SELECT ${id}, ${p}, line, error_type || ': ' || error_message, coalesce(csv_line, '') FROM dsa_rej`);
    const bad = Number((await e.all(`SELECT count(*) AS n FROM ledger_flags WHERE import_id = ${id} AND part = ${p}`))[0]!.n);
    await e.run(dsaRollupInsertSql('ledger_dsa', `import_id = ${id} AND part = ${p}`));
    const dup = await dropKnownDuck(e, importId, part);
    await e.run(`INSERT INTO ledger_parts VALUES (${id}, ${p}, ${ok - dup}, ${bad})`);
    return { part, rowsLoaded: ok - dup, rowsFlagged: bad, rowsDuplicate: dup, skipped: false };
  };
  // Fast path: the rows go straight from the CSV reader into ledger_dsa (lines the reader rejects, such as a wrong
  // column count, are kept in dsa_rej and flagged); the first row with a problem stops the statement, the
  // transaction is rolled back and the part is read again through a staging table that keeps the flagged rows.
  // The rollup is counted from the part's rows just written (a part's row groups hold one import and part each, so
  // DuckDB skips the others by their statistics); statements another import had loaded already are then taken out
  // again and the rollup counted anew (dropKnownDuck).
  try {
    return await e.transaction(async () => {
      await begin();
      const ins = await e.all(`INSERT INTO ledger_dsa SELECT ${detail} FROM (${shaped}) s WHERE CASE WHEN reason IS NULL THEN true ELSE error('${BAD_ROW}') END`);
      return end(Number(Object.values(ins[0] ?? {})[0] ?? 0));
    });
  } catch (err) {
    if (!(err instanceof Error) || !err.message.includes(BAD_ROW)) throw err;
  }
  return e.transaction(async () => {
    await begin();
    await e.run(`CREATE OR REPLACE TEMP TABLE dsa_stage AS ${shaped}`);
    await e.run(`INSERT INTO ledger_dsa SELECT ${detail} FROM dsa_stage WHERE reason IS NULL`);
    await e.run(`INSERT INTO ledger_flags SELECT ${id}, ${p}, 0, reason, to_json(struct_pack(uuid, platform_name, category, decision_ground, created_raw))::VARCHAR FROM dsa_stage WHERE reason IS NOT NULL`);
    const ok = Number((await e.all(`SELECT count(*) AS n FROM dsa_stage WHERE reason IS NULL`))[0]!.n);
    await e.run('DROP TABLE dsa_stage');
    return end(ok);
  });
}

/** The marker of the fast path's stop on a row to flag (error() in the INSERT's filter). */
const BAD_ROW = 'stackwatch: a DSA row to flag';

type DsaRow = { uuid: string; day: string } & Record<string, unknown>;

/** Of a batch of rows, the uuids another import has loaded already on the same days, each with that import's id. */
async function knownUuids(e: LedgerEngine, importId: string, rows: DsaRow[]): Promise<Map<string, string>> {
  const d = e.dialect;
  const known = new Map<string, string>();
  const days = [...new Set(rows.map((r) => r.day))].map((x) => `toDate(${lit(d, x)})`);
  const others = await otherImportsOn(e, importId, days);
  if (!others.length) return known;
  const where = `day IN (${days.join(', ')}) AND import_id IN (${others.map((o) => lit(d, o)).join(', ')})`;
  // 4,000 uuids a query keep its text well under ClickHouse's max_query_size (256 KiB)
  for (let i = 0; i < rows.length; i += 4000) {
    const list = rows.slice(i, i + 4000).map((r) => lit(d, r.uuid)).join(', ');
    for (const r of await e.all(`SELECT uuid, min(import_id) AS other FROM ledger_dsa WHERE ${where} AND uuid IN (${list}) GROUP BY uuid`)) {
      known.set(String(r.uuid), String(r.other));
    }
  }
  return known;
}

async function loadPartJs(e: LedgerEngine, importId: string, sha256: string, part: string, csv: string, header: string[]): Promise<PartResult> {
  const d = e.dialect;
  const id = lit(d, importId);
  const p = lit(d, part);
  await e.run(`DELETE FROM ledger_dsa WHERE import_id = ${id} AND part = ${p}`);
  await e.run(`DELETE FROM ledger_dsa_rollup WHERE import_id = ${id} AND part = ${p}`);
  await e.run(`DELETE FROM ledger_flags WHERE import_id = ${id} AND part = ${p}`);
  await e.run(`DELETE FROM ledger_dups WHERE import_id = ${id} AND part = ${p}`);
  const roll = new DsaRollupCounter();
  const dups = new Map<string, number>();
  let dup = 0;
  // Rows whose uuid another import has loaded already are counted, not written (see dropKnownDuck).
  const flush = async () => {
    const known = await knownUuids(e, importId, batch);
    const fresh = known.size ? batch.filter((r) => !known.has(r.uuid)) : batch;
    for (const other of known.values()) dups.set(other, (dups.get(other) ?? 0) + 1);
    dup += batch.length - fresh.length;
    for (const r of fresh) roll.add(r);
    ok += fresh.length;
    if (fresh.length) await e.insert('ledger_dsa', fresh);
    batch = [];
  };
  const parser = createReadStream(csv).pipe(parseStream({ bom: true, relax_column_count: true, raw: true, info: true, from_line: 2, max_record_size: 8 << 20 }));
  let batch: DsaRow[] = [];
  const flags: Flag[] = [];
  let ok = 0;
  const idx = Object.fromEntries(DSA_USED.map((c) => [c, header.indexOf(c)]));
  for await (const r of parser as AsyncIterable<{ record: string[]; raw: string; info: { lines: number } }>) {
    const line = r.info.lines;
    if (r.record.length !== header.length) {
      flags.push({ part, row_no: line, reason: `${r.record.length > header.length ? 'TOO MANY COLUMNS' : 'MISSING COLUMNS'}: Expected Number of Columns: ${header.length} Found: ${r.record.length}`, raw: r.raw.replace(/\n$/, '') });
      continue;
    }
    const v: Record<string, string> = {};
    for (const c of DSA_USED) v[c] = idx[c]! >= 0 ? (r.record[idx[c]!] ?? '') : '';
    const problem = dsaRowProblem(v);
    if (problem) {
      flags.push({ part, row_no: 0, reason: problem, raw: JSON.stringify({ uuid: v.uuid, platform_name: v.platform_name, category: v.category, decision_ground: v.decision_ground, created_raw: v.created_at }) });
      continue;
    }
    const row = {
      uuid: v.uuid ?? '', platform_name: v.platform_name, category: v.category, decision_ground: v.decision_ground, decision_visibility: v.decision_visibility,
      decision_account: v.decision_account, automated_detection: v.automated_detection, automated_decision: v.automated_decision, territorial_scope: v.territorial_scope,
      scope_class: scopeClass(v.territorial_scope ?? ''), source_type: v.source_type, content_type: v.content_type, created_at: v.created_at, day: v.created_at!.slice(0, 10),
      file_sha256: sha256, part, row_no: 0, import_id: importId,
    };
    batch.push(row);
    if (batch.length >= 20_000) await flush();
  }
  if (batch.length) await flush();
  await e.insert('ledger_dsa_rollup', roll.rows(importId, part));
  await insertFlags(e, importId, flags);
  if (dups.size) await e.insert('ledger_dups', [...dups].map(([other, rows]) => ({ import_id: importId, part, other_import_id: other, rows })));
  await e.insert('ledger_parts', [{ import_id: importId, part, rows_loaded: ok, rows_flagged: flags.length }]);
  return { part, rowsLoaded: ok, rowsFlagged: flags.length, rowsDuplicate: dup, skipped: false };
}

type DumpWork =
  | { kind: 'part'; part: string; csvPath: string }
  | { kind: 'skip'; part: string }
  | { kind: 'fail'; part: string; error: unknown }
  | { kind: 'zip'; name: string }
  | { kind: 'progress'; seen: number; total: number; name: string };

/**
 * The CSV parts of a dump, each unpacked to its own temporary file when the consumer asks for the next one; parts
 * already loaded are not unpacked. An inner zip that cannot be read yields a failure under its own name (the parts
 * read from it before the damage stay).
 */
async function* dumpParts(path: string, tmp: string, done: (part: string) => boolean): AsyncGenerator<DumpWork, void, undefined> {
  const outer = await openZip(path);
  const total = outer.entryCount;
  let seen = 0;
  let n = 0;
  const csvFile = () => join(tmp, `part-${n++}.csv`);
  try {
    for await (const entry of entries(outer)) {
      seen++;
      const name = entry.fileName;
      if (name.endsWith('/')) continue;
      if (name.toLowerCase().endsWith('.csv')) {
        if (done(name)) {
          yield { kind: 'skip', part: name };
        } else {
          const csvPath = csvFile();
          try {
            await extract(outer, entry, csvPath);
          } catch (error) {
            rmSync(csvPath, { force: true });
            yield { kind: 'fail', part: name, error };
            continue;
          }
          yield { kind: 'part', part: name, csvPath };
        }
      } else if (name.toLowerCase().endsWith('.zip')) {
        yield { kind: 'zip', name };
        const innerPath = join(tmp, `inner-${n++}.zip`);
        let inner: yauzl.ZipFile | null = null;
        let failure: unknown = null;
        try {
          await extract(outer, entry, innerPath);
          inner = await openZip(innerPath);
          for await (const ie of entries(inner)) {
            if (!ie.fileName.toLowerCase().endsWith('.csv')) continue;
            const part = `${name}/${ie.fileName}`;
            if (done(part)) {
              yield { kind: 'skip', part };
              continue;
            }
            const csvPath = csvFile();
            try {
              await extract(inner, ie, csvPath);
            } catch (error) {
              rmSync(csvPath, { force: true });
              yield { kind: 'fail', part, error };
              continue;
            }
            yield { kind: 'part', part, csvPath };
          }
        } catch (err) {
          failure = err instanceof Error ? new Error(`inner zip unreadable (${err.message})`) : err;
        } finally {
          inner?.close();
          rmSync(innerPath, { force: true });
        }
        if (failure) yield { kind: 'fail', part: name, error: failure };
      }
      yield { kind: 'progress', seen, total, name };
    }
  } finally {
    outer.close();
  }
}

/**
 * Runs the dump reader ahead of the loader: while the loader works on one part, the next part is unpacked (and every
 * cheaper item before it is queued). `stop` ends the reader and closes its zips.
 */
function readAhead(src: AsyncGenerator<DumpWork, void, undefined>) {
  const queue: DumpWork[] = [];
  let failure: { error: unknown } | null = null;
  let finished = false;
  let stopped = false;
  const wake: { taker: (() => void) | null; reader: (() => void) | null } = { taker: null, reader: null };
  const partsQueued = () => queue.reduce((n, w) => n + (w.kind === 'part' ? 1 : 0), 0);
  const reader = (async () => {
    try {
      for await (const w of src) {
        queue.push(w);
        wake.taker?.();
        while (!stopped && partsQueued() >= 1) await new Promise<void>((r) => (wake.reader = r));
        if (stopped) break;
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wake.taker?.();
    }
  })();
  return {
    async take(): Promise<DumpWork | null> {
      while (!queue.length && !finished) await new Promise<void>((r) => (wake.taker = r));
      wake.taker = null;
      const w = queue.shift();
      wake.reader?.();
      if (w) return w;
      if (failure) throw (failure as { error: unknown }).error;
      return null;
    },
    async stop(): Promise<void> {
      stopped = true;
      wake.reader?.();
      await reader;
      for (const w of queue.splice(0)) if (w.kind === 'part') rmSync(w.csvPath, { force: true });
    },
  };
}

export interface DsaImportSummary extends ImportSummary {
  status: 'done' | 'failed';
  checksum: 'verified' | 'not checked';
  failedParts: { part: string; error: string }[];
  /** Statements another import had loaded already (same uuid): not loaded again, counted in rowsRead. */
  rowsDuplicate: number;
  /** Which earlier files hold them, and how many each. */
  duplicateOf: { importId: string; file: string; rows: number }[];
}

/** The statements of an import that earlier imports had loaded already, per earlier import. */
async function duplicatesOf(e: LedgerEngine, importId: string): Promise<{ rowsDuplicate: number; duplicateOf: DsaImportSummary['duplicateOf'] }> {
  const rows = await e.all(`SELECT other_import_id AS other, sum(rows) AS n FROM ledger_dups WHERE import_id = ${lit(e.dialect, importId)} GROUP BY other_import_id ORDER BY other_import_id`);
  const duplicateOf = await Promise.all(rows.map(async (r) => ({ importId: String(r.other), file: (await getImport(e, String(r.other)))?.file_name ?? '(import no longer recorded)', rows: Number(r.n) })));
  return { rowsDuplicate: duplicateOf.reduce((a, x) => a + x.rows, 0), duplicateOf };
}

/** Reads the published SHA-1 from `<zip>.sha1` ("hex  name" or just the hex), if there is one. */
export function publishedSha1(path: string): string | undefined {
  const side = `${path}.sha1`;
  if (!existsSync(side)) return undefined;
  const m = /^([0-9a-f]{40})\b/i.exec(readFileSync(side, 'utf8').trim());
  return m?.[1]?.toLowerCase();
}

/** Imports one daily dump. See the file's comment for the rules. */
export async function importDsaDay(
  e: LedgerEngine,
  path: string,
  opts: { sha1?: string; onProgress?: (done: number, total: number, part: string) => void; by?: string } = {},
): Promise<DsaImportSummary> {
  const fileName = basename(path);
  const dig = await fileDigests(path);
  const expected = (opts.sha1 ?? publishedSha1(path))?.toLowerCase();
  if (expected && expected !== dig.sha1) {
    throw new AppError(400, 'checksum_mismatch', `${fileName}: SHA-1 is ${dig.sha1}, the published checksum is ${expected}. The file is damaged or incomplete; nothing was loaded. Download it again.`, 'sha1');
  }
  const importId = importIdFor('dsa', dig.sha256);
  const base = { importId, dataset: 'dsa', file: fileName, sha256: dig.sha256, checksum: expected ? ('verified' as const) : ('not checked' as const) };
  const prev = await getImport(e, importId);
  if (prev?.status === 'done') {
    const dups = await duplicatesOf(e, importId);
    return { ...base, status: 'done', skipped: true, rowsRead: prev.rows_loaded + prev.rows_flagged + dups.rowsDuplicate, rowsLoaded: prev.rows_loaded, rowsFlagged: prev.rows_flagged, flags: await listFlags(e, importId, 50), failedParts: [], ...dups };
  }
  const rec: ImportRecord = { id: importId, dataset: 'dsa', file_name: fileName, file_sha256: dig.sha256, status: 'running', rows_loaded: 0, rows_flagged: 0, error: '', org_id: '', created_by: opts.by ?? 'import' };
  await recordImport(e, rec);
  const doneParts = new Map((await e.all(`SELECT part, rows_loaded, rows_flagged FROM ledger_parts WHERE import_id = ${lit(e.dialect, importId)}`)).map((r) => [String(r.part), r]));
  const tmp = mkdtempSync(join(tmpdir(), 'ledger-dsa-'));
  const results: PartResult[] = [];
  const failed: { part: string; error: string }[] = [];
  const loadCsv = async (part: string, csvPath: string) => {
    const header = headerOf(csvPath);
    const missing = DSA_REQUIRED.filter((c) => !header.includes(c));
    if (missing.length) throw new Error(`the header lacks ${missing.join(', ')} (found ${header.length} columns)`);
    return e.dialect === 'duckdb' ? loadPartDuck(e, importId, dig.sha256, part, csvPath, header) : loadPartJs(e, importId, dig.sha256, part, csvPath, header);
  };
  const fail = async (part: string, err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    failed.push({ part, error: msg });
    await insertFlags(e, importId, [{ part, row_no: 0, reason: `part not loaded: ${msg}`, raw: '' }]);
  };
  const finish = async (): Promise<DsaImportSummary> => {
    const sums = (await e.all(`SELECT sum(rows_loaded) AS l, sum(rows_flagged) AS f FROM ledger_parts WHERE import_id = ${lit(e.dialect, importId)}`))[0] ?? {};
    const loaded = Number(sums.l ?? 0);
    const flagged = Number(sums.f ?? 0) + failed.length;
    const status = failed.length ? 'failed' : 'done';
    await recordImport(e, { ...rec, status, rows_loaded: loaded, rows_flagged: flagged, error: failed.map((f) => `${f.part}: ${f.error}`).join('; ').slice(0, 2000) });
    const dups = await duplicatesOf(e, importId);
    return {
      ...base, status, skipped: false, rowsRead: loaded + flagged + dups.rowsDuplicate, rowsLoaded: loaded, rowsFlagged: flagged, flags: await listFlags(e, importId, 50), failedParts: failed,
      parts: results.map((r) => ({ part: r.part, rowsLoaded: r.rowsLoaded, rowsFlagged: r.rowsFlagged, rowsDuplicate: r.rowsDuplicate, skipped: r.skipped })),
      ...dups,
    };
  };
  if (path.toLowerCase().endsWith('.csv')) {
    // a single CSV part (the shipped sample, or a part unpacked by hand)
    try {
      if (!doneParts.has(fileName)) results.push(await loadCsv(fileName, path));
    } catch (err) {
      await fail(fileName, err);
    }
    rmSync(tmp, { recursive: true, force: true });
    return finish();
  }
  // One part is unpacked while the one before it loads (unzip streams on Node's thread pool, DuckDB on its own
  // threads): at most two CSV parts and one inner zip are on disk at a time.
  const restoreLimit = await lowerDuckLimit(e);
  const work = readAhead(dumpParts(path, tmp, (part) => doneParts.has(part)));
  try {
    for (;;) {
      const w = await work.take();
      if (w === null) break;
      if (w.kind === 'zip') {
        // a flag left by an earlier run that could not read this inner zip goes; it is read again now
        await e.run(`DELETE FROM ledger_flags WHERE import_id = ${lit(e.dialect, importId)} AND part = ${lit(e.dialect, w.name)}`);
      } else if (w.kind === 'skip') {
        results.push({ part: w.part, rowsLoaded: 0, rowsFlagged: 0, rowsDuplicate: 0, skipped: true });
      } else if (w.kind === 'fail') {
        await fail(w.part, w.error);
      } else if (w.kind === 'progress') {
        opts.onProgress?.(w.seen, w.total, w.name);
      } else {
        try {
          results.push(await loadCsv(w.part, w.csvPath));
        } catch (err) {
          await fail(w.part, err);
        } finally {
          rmSync(w.csvPath, { force: true });
        }
      }
    }
  } finally {
    await work.stop();
    rmSync(tmp, { recursive: true, force: true });
    await restoreLimit();
  }
  return finish();
}

/** Lowers a file-backed DuckDB's memory limit for an import (duckImportMemoryLimit); returns what puts it back. */
async function lowerDuckLimit(e: LedgerEngine): Promise<() => Promise<void>> {
  const limit = duckImportMemoryLimit();
  if (e.dialect !== 'duckdb' || !limit) return async () => undefined;
  const row = (await e.all(`SELECT current_setting('memory_limit') AS m, (SELECT path FROM duckdb_databases() WHERE database_name = current_database()) AS path`))[0];
  if (!row?.path) return async () => undefined; // in memory: the tables live in that memory, no limit is lowered
  await e.run(`SET memory_limit = '${limit}'`);
  return () => e.run(`SET memory_limit = ${lit('duckdb', String(row.m))}`);
}
