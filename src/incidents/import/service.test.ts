import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import type { Db } from '../../platform/db.js';
import { testBackends } from '../../platform/testing.js';
import { ImportFileError, importIodaOutages, importStop, loadHistory } from './service.js';
import type { ImportSummary } from './model.js';

const DATA = join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/shutdowns');
const STOP_FILE = join(DATA, 'keepiton-stop-2016-2022.xlsx');
const IODA_FILE = join(DATA, 'ioda-investigated-outages-2018-2022.csv');

async function newOrg(db: Db, name = 'Test org'): Promise<string> {
  const id = randomUUID();
  await db.query('insert into orgs (id, name) values ($1, $2)', [id, name]);
  return id;
}

interface Counts {
  incidents: number;
  sources: number;
  evidence: number;
  history: number;
  runs: number;
  audit: number;
}

async function tableCounts(db: Db): Promise<Counts> {
  const r = await db.query<Counts>(
    `select (select count(*)::int from incidents) as incidents,
            (select count(*)::int from incident_sources) as sources,
            (select count(*)::int from incident_evidence) as evidence,
            (select count(*)::int from incident_history) as history,
            (select count(*)::int from import_runs) as runs,
            (select count(*)::int from audit_log) as audit`,
  );
  return r.rows[0]!;
}

const accounted = (s: ImportSummary) => s.imported + s.merged + s.unchanged + s.skipped;

describe.each(testBackends())('importers on %s', (backend) => {
  let db: Db;
  let org: string;
  let stop: ImportSummary;
  let ioda: ImportSummary;
  const progress: [number, number][] = [];

  beforeAll(async () => {
    db = await backend.open();
    org = await newOrg(db);
    stop = await importStop(db, STOP_FILE, { orgId: org, actorLabel: 'tester', batchSize: 200, onProgress: (d, t) => progress.push([d, t]) });
    ioda = await importIodaOutages(db, IODA_FILE, { orgId: org, actorLabel: 'tester' });
  }, 240_000); // the whole history, duplicate detection included, on a shared machine
  afterAll(async () => {
    await db?.close();
  });

  it('imports every STOP row or flags it with a reason', async () => {
    expect(stop.perSheet).toEqual({
      '2016+2017+2018': 377,
      '2019': 213,
      '2020 Data': 159,
      '2021 Data': 182,
      '2022 Data': 187,
      'Need more details': 3,
    });
    expect(stop.rowsRead).toBe(377 + 213 + 159 + 182 + 187 + 3);
    expect(accounted(stop)).toBe(stop.rowsRead);
    expect(stop).toMatchObject({ imported: 1100, merged: 20, skipped: 1, unchanged: 0 });
    // Every skipped or flagged row is listed with a reason.
    const flaggedRows = new Set(stop.flags.map((f) => `${f.sheet}#${f.row}`));
    expect(flaggedRows.size).toBe(stop.flagged);
    for (const f of stop.flags) expect(f.reason.length).toBeGreaterThan(5);
    expect(progress.at(-1)).toEqual([stop.rowsRead, stop.rowsRead]);
    expect(progress).toHaveLength(Math.ceil(stop.rowsRead / 200));

    const byStatus = await db.query<{ status: string; n: number }>(`select status, count(*)::int as n from incidents where origin = 'stop' group by status order by status`);
    expect(byStatus.rows).toEqual([
      { status: 'draft', n: 3 },
      { status: 'verified', n: 1097 },
    ]);
    const flaggedInDb = await db.query<{ n: number }>(`select count(*)::int as n from incidents where origin = 'stop' and data_quality <> '[]'::jsonb`);
    expect(flaggedInDb.rows[0]!.n).toBe(stop.flagged - 1); // all flagged rows but the skipped duplicate
  });

  it('writes incidents with titles, search text, sources and history', async () => {
    const r = await db.query<{ title: string; search_text: string; tlp: string; start_precision: string; tags: string[]; actors: { name: string; role: string }[] }>(
      `select title, search_text, tlp, start_precision, tags, actors from incidents where origin_key like 'stop:2019:%' and country = 'IR' and start_at = '2019-11-16' order by title limit 1`,
    );
    const iran = r.rows[0]!;
    expect(iran.title).toBe('Internet shutdown in Iran (2019-11-16)');
    expect(iran.tlp).toBe('TLP:CLEAR');
    expect(iran.start_precision).toBe('day');
    expect(iran.search_text).toMatch(/Iran/);
    expect(iran.search_text).toMatch(/protests/);
    expect(iran.tags).toContain('protests');
    expect(iran.actors.some((a) => a.role === 'carried_out_by')).toBe(true);
    const empty = await db.query<{ n: number }>(`select count(*)::int as n from incidents where search_text = '' or title = ''`);
    expect(empty.rows[0]!.n).toBe(0);
    const fts = await db.query<{ n: number }>(`select count(*)::int as n from incidents where to_tsvector('simple', search_text) @@ plainto_tsquery('simple', 'kashmir')`);
    expect(fts.rows[0]!.n).toBeGreaterThan(20);
    const hist = await db.query<{ n: number }>(`select count(*)::int as n from incident_history where action = 'import' and actor_label = 'tester'`);
    const incidents = await db.query<{ n: number }>(`select count(*)::int as n from incidents`);
    expect(hist.rows[0]!.n).toBe(incidents.rows[0]!.n);
    const src = await db.query<{ n: number }>(`select count(distinct incident_id)::int as n from incident_sources s join incidents i on i.id = s.incident_id where i.origin = 'stop'`);
    expect(src.rows[0]!.n).toBeGreaterThan(1000);
  });

  it('merges STOP carry-overs into the first record and moves its end date', async () => {
    const r = await db.query<{ end_at: Date | string; version: number; docs: number }>(
      `select i.end_at, i.version, (select count(*)::int from incident_evidence e where e.incident_id = i.id and e.kind = 'document') as docs
         from incidents i where i.country = 'PK' and i.start_at = '2016-06-12' and i.origin = 'stop'`,
    );
    expect(r.rows).toHaveLength(1); // in the 2020 and 2021 sheets, one incident
    expect(new Date(r.rows[0]!.end_at).toISOString()).toBe('2021-12-28T00:00:00.000Z');
    expect(r.rows[0]!.docs).toBe(1);
    expect(r.rows[0]!.version).toBe(2);
    const h = await db.query<{ action: string; version: number; changes: Record<string, { from: unknown; to: unknown }> }>(
      `select h.action, h.version, h.changes from incident_history h join incidents i on i.id = h.incident_id
        where i.country = 'PK' and i.start_at = '2016-06-12' and i.origin = 'stop' order by h.id`,
    );
    expect(h.rows.map((x) => [x.action, x.version])).toEqual([
      ['import', 1],
      ['evidence.add', 2],
    ]);
    expect(h.rows[1]!.changes.evidence!.to).toMatch(/^document:stop:2021 Data:[0-9a-f]{16}$/);
    // Chad's social-media blocking: open-ended in the 2016–18 sheet, ended 2019-07-13 per the 2019 sheet.
    const chad = await db.query<{ end_at: Date | string; changes: Record<string, { from: unknown; to: unknown }> }>(
      `select i.end_at, h.changes from incidents i join incident_history h on h.incident_id = i.id and h.action = 'evidence.add'
        where i.country = 'TD' and i.start_at = '2018-03-28' and i.origin = 'stop'`,
    );
    expect(chad.rows).toHaveLength(1);
    expect(new Date(chad.rows[0]!.end_at).toISOString()).toBe('2019-07-13T00:00:00.000Z');
    expect(chad.rows[0]!.changes.endAt).toEqual({ from: null, to: '2019-07-13T00:00:00.000Z' });
  });

  it('accounts for all 1,704 IODA rows and attaches matching outages to STOP shutdowns', async () => {
    expect(ioda.rowsRead).toBe(1704);
    expect(ioda.imported + ioda.merged + ioda.skipped).toBe(1704);
    expect(ioda.unchanged).toBe(0);
    expect(ioda.merged).toBeGreaterThan(50);
    expect(new Set(ioda.flags.filter((f) => ['duplicate_row', 'country_unknown'].includes(f.code)).map((f) => f.row)).size).toBe(ioda.skipped);
    const codes = new Set(ioda.flags.map((f) => f.code));
    for (const c of ['time_reversed', 'end_missing', 'time_repaired', 'duplicate_row', 'country_unknown']) expect(codes).toContain(c);
    const ev = await db.query<{ n: number }>(`select count(*)::int as n from incident_evidence where kind = 'outage_event'`);
    expect(ev.rows[0]!.n).toBe(ioda.merged);
    const ids = await db.query<{ n: number }>(`select count(*)::int as n from incidents where origin = 'ioda'`);
    expect(ids.rows[0]!.n).toBe(ioda.imported + ioda.series!); // plus one incident per series of daily records
  });

  it('attaches IODA outage 5A446C2E to the Iran November 2019 STOP shutdown', async () => {
    const r = await db.query<{ title: string; origin: string; ref: string; data: { begin: string; cause: string; scope: string } }>(
      `select i.title, i.origin, e.ref, e.data from incident_evidence e join incidents i on i.id = e.incident_id where e.ref = 'ioda:5A446C2E'`,
    );
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toMatchObject({ title: 'Internet shutdown in Iran (2019-11-16)', origin: 'stop', ref: 'ioda:5A446C2E' });
    expect(r.rows[0]!.data).toMatchObject({ begin: '2019-11-16T14:00:00.000Z', cause: 'Government-Ordered', scope: 'country' });
    const dup = await db.query<{ n: number }>(`select count(*)::int as n from incidents where origin_key = 'ioda:5A446C2E'`);
    expect(dup.rows[0]!.n).toBe(0);
  });

  it('maps unmatched IODA outages by scope and cause', async () => {
    const r = await db.query<{ type: string; status: string; tags: string[]; networks: { asn?: number }[]; start_precision: string; data_quality: { code: string }[]; end_at: unknown }>(
      `select type, status, tags, networks, start_precision, data_quality, end_at from incidents where origin_key = any($1::text[]) order by origin_key`,
      [['ioda:61AE093F', 'ioda:00F5DDBF', 'ioda:CD96C086']],
    );
    const [as, unknown, reversed] = r.rows; // ordered by key: 00F5…, 61AE…, CD96…
    expect(unknown).toMatchObject({ type: 'other', status: 'under_review', start_precision: 'minute' });
    expect(unknown!.tags).toContain('cause-unknown');
    expect(as!.networks[0]!.asn).toBe(2514);
    expect(reversed!.data_quality.map((f) => f.code)).toContain('time_reversed');
    expect(reversed!.end_at).toBeNull();
  });

  it('changes nothing when run again', async () => {
    const before = await tableCounts(db);
    const s2 = await importStop(db, STOP_FILE, { orgId: org });
    const i2 = await importIodaOutages(db, IODA_FILE, { orgId: org });
    expect(s2).toMatchObject({ imported: 0, merged: 0, unchanged: stop.rowsRead - stop.skipped, skipped: stop.skipped, flagged: stop.flagged });
    expect(i2).toMatchObject({ imported: 0, merged: 0, unchanged: 1704 - ioda.skipped, skipped: ioda.skipped });
    const after = await tableCounts(db);
    expect({ ...after, runs: before.runs, audit: before.audit }).toEqual(before);
    expect(after.runs).toBe(before.runs + 2);
    expect(after.audit).toBe(before.audit + 2);
  });

  it('records import runs and one audit entry per run', async () => {
    const runs = await db.query<{ kind: string; status: string; rows_read: number; imported: number; merged: number; flagged: number; file_sha256: string }>(
      `select kind, status, rows_read, imported, merged, flagged, file_sha256 from import_runs order by started_at, kind`,
    );
    expect(runs.rows.filter((r) => r.status === 'completed')).toHaveLength(runs.rows.length);
    expect(runs.rows.find((r) => r.kind === 'stop' && r.imported > 0)).toMatchObject({ rows_read: stop.rowsRead, imported: stop.imported, merged: 20, flagged: stop.flagged });
    expect(runs.rows[0]!.file_sha256).toMatch(/^[0-9a-f]{64}$/);
    const audit = await db.query<{ action: string; actor_label: string; after: { imported: number; rowsRead: number } }>(
      `select action, actor_label, after from audit_log where actor_label = 'tester' order by id`,
    );
    expect(audit.rows.map((a) => a.action)).toEqual(['import.stop', 'import.ioda']);
    expect(audit.rows[0]!.after).toMatchObject({ imported: stop.imported, rowsRead: stop.rowsRead });
  });

  it('an interrupted import keeps only whole batches, and a re-run completes it to the same counts', async () => {
    const db2 = await backend.open();
    try {
      const org2 = await newOrg(db2);
      let calls = 0;
      await expect(
        importStop(db2, STOP_FILE, {
          orgId: org2,
          batchSize: 300,
          onProgress: () => {
            calls++;
            if (calls === 1) throw new Error('killed after batch 1');
          },
        }),
      ).rejects.toThrow('killed after batch 1');
      const mid = await tableCounts(db2);
      // Batch 1 = the first 300 planned rows (sheet 2016+2017+2018), all new incidents.
      expect(mid.incidents).toBe(300);
      expect(mid.history).toBe(300);
      const run = await db2.query<{ status: string; imported: number }>(`select status, imported from import_runs`);
      expect(run.rows).toEqual([{ status: 'failed', imported: 300 }]);

      const resumed = await importStop(db2, STOP_FILE, { orgId: org2, batchSize: 300 });
      expect(resumed).toMatchObject({ imported: stop.imported - 300, merged: stop.merged, unchanged: 300, skipped: stop.skipped });
      const i = await importIodaOutages(db2, IODA_FILE, { orgId: org2 });
      expect({ imported: i.imported, merged: i.merged, skipped: i.skipped }).toEqual({ imported: ioda.imported, merged: ioda.merged, skipped: ioda.skipped });
      const full = await tableCounts(db);
      const done = await tableCounts(db2);
      expect({ incidents: done.incidents, sources: done.sources, evidence: done.evidence, history: done.history }).toEqual({
        incidents: full.incidents,
        sources: full.sources,
        evidence: full.evidence,
        history: full.history,
      });
    } finally {
      await db2.close();
    }
  }, 180_000);

  it('rejects malformed files with a clear error and writes nothing', async () => {
    const db3 = await backend.open();
    const dir = mkdtempSync(join(tmpdir(), 'sw-import-'));
    try {
      const org3 = await newOrg(db3);
      const csv = readFileSync(IODA_FILE, 'utf8');
      const truncated = join(dir, 'truncated.csv');
      writeFileSync(truncated, csv.slice(0, csv.indexOf('"', 200_000) + 10));
      const noColumn = join(dir, 'no-country.csv');
      writeFileSync(noColumn, csv.replace(/^(\ufeff?ID,Begin time,End time,)Country,/, '$1Land,'));
      const notXlsx = join(dir, 'stop.xlsx');
      writeFileSync(notXlsx, csv.slice(0, 5000));

      await expect(importIodaOutages(db3, truncated, { orgId: org3 })).rejects.toThrow(/unterminated quoted field starting on line \d+/);
      await expect(importIodaOutages(db3, noColumn, { orgId: org3 })).rejects.toThrow(/required column missing: Country/);
      await expect(importStop(db3, notXlsx, { orgId: org3 })).rejects.toThrow(ImportFileError);
      await expect(importStop(db3, notXlsx, { orgId: org3 })).rejects.toThrow(/not a readable \.xlsx workbook/);
      await expect(importIodaOutages(db3, STOP_FILE, { orgId: org3 })).rejects.toThrow(/not a CSV/);
      await expect(importStop(db3, join(dir, 'missing.xlsx'), { orgId: org3 })).rejects.toThrow(/file not found/);
      expect(await tableCounts(db3)).toEqual({ incidents: 0, sources: 0, evidence: 0, history: 0, runs: 0, audit: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db3.close();
    }
  });

  it('loadHistory skips files already imported to completion', async () => {
    const seed = join(dirname(fileURLToPath(import.meta.url)), '../../../seed');
    const before = await tableCounts(db);
    const r = await loadHistory(db, org, seed);
    expect(r).toEqual({ stop: null, ioda: null });
    expect(await tableCounts(db)).toEqual(before);
  });
});
